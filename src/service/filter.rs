//! Paging of in-memory lists (open channels, closed-channel history), in KDF's shape:
//! `PageNumber` (1-based) or `FromId` (start just after the item with that id).

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging<Id> {
    PageNumber(u64),
    FromId(Id),
}

/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub skipped: usize,
    pub total: usize,
    pub total_pages: usize,
}

/// Why a page could not be cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError<Id: std::fmt::Display> {
    #[error("invalid limit {0}: must be between 1 and {MAX_LIMIT}")]
    InvalidLimit(usize),
    #[error("invalid page number 0: pages are numbered from 1")]
    InvalidPageNumber,
    #[error("no item with id {0} in the filtered list")]
    UnknownFromId(Id),
}

/// Cuts one page out of `items` (already filtered and ordered). Paging past the end gives an
/// empty page.
pub fn page<T, Id: PartialEq + Clone + std::fmt::Display>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> Id,
    limit: usize,
    paging: &Paging<Id>,
) -> Result<Page<T>, PagingError<Id>> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(PagingError::InvalidLimit(limit));
    }
    let total = items.len();
    let skipped = match paging {
        Paging::PageNumber(0) => return Err(PagingError::InvalidPageNumber),
        Paging::PageNumber(n) => usize::try_from(n - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(limit)
            .min(total),
        Paging::FromId(id) => match items.iter().position(|item| id_of(item) == *id) {
            Some(pos) => pos + 1,
            None => return Err(PagingError::UnknownFromId(id.clone())),
        },
    };
    let items: Vec<T> = items.into_iter().skip(skipped).take(limit).collect();
    Ok(Page {
        items,
        skipped,
        total,
        total_pages: total.div_ceil(limit),
    })
}

/// `lo <= v <= hi` for the bounds that are set.
pub fn in_range<V: PartialOrd>(v: V, lo: Option<V>, hi: Option<V>) -> bool {
    lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_by_number_and_from_id() {
        let v: Vec<u32> = (1..=5).collect();
        let p = page(v.clone(), |x| *x, 2, &Paging::PageNumber(2)).unwrap();
        assert_eq!(
            (p.items, p.skipped, p.total, p.total_pages),
            (vec![3, 4], 2, 5, 3)
        );
        let p = page(v.clone(), |x| *x, 2, &Paging::FromId(4)).unwrap();
        assert_eq!((p.items, p.skipped), (vec![5], 4));
        let p = page(v.clone(), |x| *x, 2, &Paging::PageNumber(9)).unwrap();
        assert!(p.items.is_empty());
        assert_eq!(p.skipped, 5);
        assert!(matches!(
            page(v.clone(), |x| *x, 2, &Paging::FromId(9)),
            Err(PagingError::UnknownFromId(9))
        ));
        assert!(page(v.clone(), |x| *x, 0, &Paging::PageNumber(1)).is_err());
        assert!(page(v, |x| *x, 2, &Paging::PageNumber(0)).is_err());
    }
}
