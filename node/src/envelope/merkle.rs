//! The Merkle tree of a batch of receipts signed once, hashed as in RFC 9162
//! (section 2.1): each receipt is proven alone by its inclusion path.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// A leaf's hash: `H(0x00 || bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(bytes)
        .finalize()
        .into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the tree of `leaves` (leaf hashes, at least one), and each
/// leaf's inclusion path, from the leaf up (RFC 9162, 2.1.1 and 2.1.3.1).
pub fn tree(leaves: &[Hash]) -> (Hash, Vec<Vec<Hash>>) {
    match leaves {
        [] => panic!("a Merkle tree of no leaves"),
        [leaf] => (*leaf, vec![Vec::new()]),
        _ => {
            // The largest power of two below the number of leaves.
            let split = 1 << (usize::BITS - 1 - (leaves.len() - 1).leading_zeros());
            let (left, mut left_paths) = tree(&leaves[..split]);
            let (right, mut right_paths) = tree(&leaves[split..]);
            left_paths.iter_mut().for_each(|p| p.push(right));
            right_paths.iter_mut().for_each(|p| p.push(left));
            left_paths.append(&mut right_paths);
            (node_hash(&left, &right), left_paths)
        }
    }
}

/// The root that `leaf`, at `index` of a tree of `size` leaves, and its
/// inclusion `path` prove; `None` if the path cannot belong to such a tree
/// (RFC 9162, 2.1.3.2).
pub fn root_from_path(leaf: Hash, index: u64, size: u64, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, leaf);
    for p in path {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("receipt {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn every_leaf_of_every_size_proves_the_root() {
        for n in 1..=70 {
            let leaves = leaves(n);
            let (root, paths) = tree(&leaves);
            assert_eq!(paths.len(), n);
            for (i, (leaf, path)) in leaves.iter().zip(&paths).enumerate() {
                assert_eq!(
                    root_from_path(*leaf, i as u64, n as u64, path),
                    Some(root),
                    "leaf {i} of {n}"
                );
            }
        }
    }

    #[test]
    fn the_root_is_rfc_9162s() {
        // MTH of three leaves: H(1 || H(1 || l0 || l1) || l2).
        let l = leaves(3);
        let (root, _) = tree(&l);
        assert_eq!(root, node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(tree(&l[..1]).0, l[0]);
    }

    #[test]
    fn another_leaf_place_size_or_path_proves_nothing() {
        let l = leaves(11);
        let (root, paths) = tree(&l);
        let other = leaf_hash(b"another receipt");
        assert_ne!(root_from_path(other, 4, 11, &paths[4]), Some(root));
        assert_ne!(root_from_path(l[4], 5, 11, &paths[4]), Some(root));
        // (Another size may share this leaf's path: the signature covers
        // the size as well as the root.)
        assert_eq!(root_from_path(l[4], 4, 5, &paths[4]), None);
        assert_eq!(root_from_path(l[4], 11, 11, &paths[4]), None);
        let mut altered = paths[4].clone();
        altered[1][0] ^= 1;
        assert_ne!(root_from_path(l[4], 4, 11, &altered), Some(root));
        assert_eq!(root_from_path(l[4], 4, 11, &paths[4][..2]), None);
        let mut longer = paths[4].clone();
        longer.push(root);
        assert_eq!(root_from_path(l[4], 4, 11, &longer), None);
    }
}
