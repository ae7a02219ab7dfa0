//! Assembles regtest blocks: a BIP34 coinbase with a BIP141 witness commitment, the merkle root,
//! and a nonce ground until the header meets the regtest target.

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::blockdata::opcodes::all::OP_RETURN;
use bitcoin::hashes::Hash;
use bitcoin::script::Builder;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};

/// Regtest's proof-of-work limit (`bits` 0x207fffff): about half of all hashes meet it.
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// Regtest halves the subsidy every 150 blocks (mainnet: 210,000).
const HALVING_INTERVAL: u32 = 150;

/// BIP141's commitment header: the coinbase output script is OP_RETURN, a 36-byte push, and
/// these four bytes followed by the 32-byte commitment.
const WITNESS_COMMITMENT_HEADER: [u8; 4] = [0xaa, 0x21, 0xa9, 0xed];

/// The block subsidy at `height`, in satoshis.
pub fn block_subsidy(height: u32) -> Amount {
    let halvings = height / HALVING_INTERVAL;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat(Amount::from_int_btc(50).to_sat() >> halvings)
}

/// What goes into one new block.
#[derive(Clone)]
pub struct BlockTemplate {
    pub prev_hash: BlockHash,
    pub height: u32,
    pub time: u32,
    /// Transactions in dependency order (parents first), without the coinbase.
    pub transactions: Vec<Transaction>,
    /// Sum of the fees paid by `transactions`.
    pub fees: Amount,
    pub payout_script: ScriptBuf,
}

/// Builds the block and grinds its nonce. Regtest's target is met by about half of all hashes,
/// so this takes a couple of tries.
pub fn build_block(template: BlockTemplate) -> Block {
    let coinbase = coinbase_transaction(
        template.height,
        block_subsidy(template.height) + template.fees,
        template.payout_script,
    );
    let mut txdata = Vec::with_capacity(template.transactions.len() + 1);
    txdata.push(coinbase);
    txdata.extend(template.transactions);

    let mut block = Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: template.prev_hash,
            merkle_root: TxMerkleNode::all_zeros(),
            time: template.time,
            bits: CompactTarget::from_consensus(REGTEST_BITS),
            nonce: 0,
        },
        txdata,
    };
    add_witness_commitment(&mut block);
    block.header.merkle_root = block
        .compute_merkle_root()
        .unwrap_or_else(TxMerkleNode::all_zeros);
    grind_nonce(&mut block.header);
    block
}

/// The coinbase: BIP34 height in the scriptSig (as Core writes it: `<height> OP_0`), the payout,
/// and a 32-byte zero witness reserved value (BIP141).
fn coinbase_transaction(height: u32, value: Amount, payout_script: ScriptBuf) -> Transaction {
    let script_sig = Builder::new()
        .push_int(i64::from(height))
        .push_int(0)
        .into_script();
    let mut witness = Witness::new();
    witness.push([0u8; 32]);
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![TxOut {
            value,
            script_pubkey: payout_script,
        }],
    }
}

/// Appends the BIP141 witness commitment output to the coinbase. The coinbase's own wtxid counts
/// as zero in the witness tree, so adding the output does not change the commitment.
fn add_witness_commitment(block: &mut Block) {
    let Some(witness_root) = block.witness_root() else {
        return;
    };
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut payload = [0u8; 36];
    payload[..4].copy_from_slice(&WITNESS_COMMITMENT_HEADER);
    payload[4..].copy_from_slice(commitment.as_byte_array());
    let script = Builder::new()
        .push_opcode(OP_RETURN)
        .push_slice(payload)
        .into_script();
    if let Some(coinbase) = block.txdata.first_mut() {
        coinbase.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: script,
        });
    }
}

fn grind_nonce(header: &mut Header) {
    let target = header.target();
    loop {
        if header.validate_pow(target).is_ok() {
            return;
        }
        match header.nonce.checked_add(1) {
            Some(next) => header.nonce = next,
            None => {
                // Every nonce failed (practically impossible at regtest difficulty): move time on.
                header.nonce = 0;
                header.time = header.time.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::constants::genesis_block;
    use bitcoin::Network;

    #[test]
    fn built_block_is_valid_regtest_block() {
        let genesis = genesis_block(Network::Regtest);
        let block = build_block(BlockTemplate {
            prev_hash: genesis.block_hash(),
            height: 1,
            time: genesis.header.time + 1,
            transactions: Vec::new(),
            fees: Amount::ZERO,
            payout_script: ScriptBuf::new_op_return([1u8; 4]),
        });
        assert!(block.check_merkle_root());
        assert!(block.check_witness_commitment());
        assert!(block.header.validate_pow(block.header.target()).is_ok());
        assert_eq!(block.txdata[0].output[0].value, Amount::from_int_btc(50));
    }

    #[test]
    fn subsidy_halves_every_150_blocks() {
        assert_eq!(block_subsidy(149), Amount::from_int_btc(50));
        assert_eq!(block_subsidy(150), Amount::from_sat(25 * 100_000_000));
        assert_eq!(block_subsidy(150 * 64), Amount::ZERO);
    }

    #[test]
    fn bip34_height_is_readable_above_16() {
        let block = build_block(BlockTemplate {
            prev_hash: BlockHash::all_zeros(),
            height: 300,
            time: 1,
            transactions: Vec::new(),
            fees: Amount::ZERO,
            payout_script: ScriptBuf::new(),
        });
        assert_eq!(block.bip34_block_height().ok(), Some(300));
    }
}
