//! The start-up policy for `rpc_password`, with KDF's rules, order and messages, so a password
//! KDF accepts is accepted here and a refusal reads the same.

/// KDF refuses a password with the same character this many times in a row.
const MAX_REPEATED_CHARACTERS: usize = 3;

/// The first rule a password breaks. The messages are KDF's, word for word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("Password can't contain the word password")]
    ContainsTheWordPassword,
    #[error("Password length should be at least 8 characters long")]
    PasswordLength,
    #[error("Password should contain at least 1 digit")]
    PasswordMissDigit,
    #[error("Password should contain at least 1 lowercase character")]
    PasswordMissLowercase,
    #[error("Password should contain at least 1 uppercase character")]
    PasswordMissUppercase,
    #[error("Password should contain at least 1 special character")]
    PasswordMissSpecialCharacter,
    #[error("Password can't contain the same character 3 times in a row")]
    PasswordConsecutiveCharactersExceeded,
}

/// Checks the seven rules in KDF's order and reports the first one broken.
///
/// "Special" means anything but an ASCII letter or digit, as in KDF, so a space or a non-ASCII
/// letter counts. Length is counted in characters, not bytes.
pub fn check_password_policy(password: &str) -> Result<(), PasswordPolicyError> {
    if password.to_lowercase().contains("password") {
        return Err(PasswordPolicyError::ContainsTheWordPassword);
    }
    if password.chars().count() < 8 {
        return Err(PasswordPolicyError::PasswordLength);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(PasswordPolicyError::PasswordMissDigit);
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(PasswordPolicyError::PasswordMissLowercase);
    }
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(PasswordPolicyError::PasswordMissUppercase);
    }
    if password.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PasswordPolicyError::PasswordMissSpecialCharacter);
    }
    if has_run_of(password, MAX_REPEATED_CHARACTERS) {
        return Err(PasswordPolicyError::PasswordConsecutiveCharactersExceeded);
    }
    Ok(())
}

/// True when some character appears `len` or more times in a row.
fn has_run_of(s: &str, len: usize) -> bool {
    let mut run = 0;
    let mut previous = None;
    for c in s.chars() {
        run = if previous == Some(c) { run + 1 } else { 1 };
        if run >= len {
            return true;
        }
        previous = Some(c);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordPolicyError::*;

    #[test]
    fn rule_1_word_password_in_any_case() {
        assert_eq!(
            check_password_policy("MyPaSsWoRd1!"),
            Err(ContainsTheWordPassword)
        );
        // Checked before length: a short password containing the word still fails rule 1.
        assert_eq!(
            check_password_policy("password"),
            Err(ContainsTheWordPassword)
        );
    }

    #[test]
    fn rule_2_at_least_eight_characters() {
        assert_eq!(check_password_policy("Ab1!xyz"), Err(PasswordLength));
        // Characters, not bytes: seven two-byte characters are still too short.
        assert_eq!(check_password_policy("ééééééé"), Err(PasswordLength));
        assert_eq!(check_password_policy(""), Err(PasswordLength));
    }

    #[test]
    fn rule_3_needs_a_digit() {
        assert_eq!(
            check_password_policy("SecretPassSoStrong$*"),
            Err(PasswordMissDigit)
        );
    }

    #[test]
    fn rule_4_needs_a_lowercase_letter() {
        assert_eq!(
            check_password_policy("SECRET-SOSTRONG123*"),
            Err(PasswordMissLowercase)
        );
    }

    #[test]
    fn rule_5_needs_an_uppercase_letter() {
        assert_eq!(
            check_password_policy("secret-sostrong123*"),
            Err(PasswordMissUppercase)
        );
    }

    #[test]
    fn rule_6_needs_a_special_character() {
        assert_eq!(
            check_password_policy("Secret123Word"),
            Err(PasswordMissSpecialCharacter)
        );
        // A space and a non-ASCII letter both count as special.
        assert_eq!(check_password_policy("Secret 123Word"), Ok(()));
        assert_eq!(check_password_policy("Secret123Wörd"), Ok(()));
    }

    #[test]
    fn rule_7_no_character_three_times_in_a_row() {
        assert_eq!(
            check_password_policy("SecretSoStrong123*aaa"),
            Err(PasswordConsecutiveCharactersExceeded)
        );
        // Two in a row is fine.
        assert_eq!(check_password_policy("SecretSoStrong123*aa"), Ok(()));
    }

    #[test]
    fn rules_apply_in_order() {
        // Breaks rules 3 to 7 at once; only the first is reported.
        assert_eq!(check_password_policy("--------"), Err(PasswordMissDigit));
        // Breaks rules 5 and 7: rule 5 is reported.
        assert_eq!(
            check_password_policy("aaa123!!"),
            Err(PasswordMissUppercase)
        );
    }

    #[test]
    fn strong_passwords_pass() {
        assert_eq!(check_password_policy("RPC_UserP@SSW0RD"), Ok(()));
        assert_eq!(
            check_password_policy("StrongPass123£StrongPass123£Pass"),
            Ok(())
        );
    }
}
