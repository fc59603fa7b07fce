/*-------------------------------------------------------------------------
 *
 * learned_dead.c
 *	  Dead entries: leaves marked as holding entries whose heap tuples are
 *	  dead to everyone (what scans' kill_prior_tuple and uniqueness checks
 *	  report), and the removal of such entries from a full leaf before it
 *	  splits, asked of the heap with table_index_delete_tuples.
 *
 * README "How it works", "Dead entries", explains the design: a page-level
 * flag instead of nbtree's per-item LP_DEAD bits (a packed leaf has no spare
 * bit per entry), set with a small WAL record rather than as a hint (a
 * hint would leave the standby's page different from the primary's under
 * the next generic WAL record, which wal_consistency_checking = 'Generic'
 * compares unmasked), and one removal pass in the manner of nbtree's
 * bottom-up deletion: every entry of the leaf is a candidate, duplicates
 * (versions of one row in a unique index, or of the new entry's key when
 * the UPDATE did not change it) are the promising ones, and the heap
 * decides within its own bounded cost which are dead to everyone.
 *
 * Locks and WAL.  The removal runs under the leaf's exclusive lock, which
 * the insertion holds anyway, as nbtree's deletions do: no cleanup lock,
 * because only VACUUM makes a heap TID reusable, and VACUUM's own pass over
 * the index still waits for every pin (README invariant 5).  A standby
 * whose queries may still see the removed entries' heap tuples must cancel
 * them before replaying the removal: the record (learned_xlog.c) carries
 * the conflict horizon the heap computed, and its redo resolves the
 * conflict first, as nbtree's delete record does.  Generic WAL cannot do
 * that, so where the learned resource manager is not registered and the
 * WAL may feed a hot standby (XLogStandbyInfoActive), nothing is removed:
 * the leaf splits as before, and VACUUM removes the entries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "learned.h"

/*
 * May dead entries be removed from this index outside VACUUM?  Only where
 * the removal's WAL can make a hot standby's queries conflict, or no
 * standby can read it (see the file header).
 */
bool
learned_dead_removal_possible(Relation index)
{
	return !RelationNeedsWAL(index) || learned_rmgr_registered ||
		!XLogStandbyInfoActive();
}

/*
 * Set or clear LEARNED_LEAF_HAS_DEAD on the exclusively locked leaf in buf,
 * WAL-logged (generic WAL: a two-byte change).
 */
static void
learned_dead_set_flag(Relation index, Buffer buf, bool set)
{
	GenericXLogState *xlog = GenericXLogStart(index);
	Page		page = GenericXLogRegisterBuffer(xlog, buf, 0);

	if (set)
		LearnedPageGetOpaque(page)->flags |= LEARNED_LEAF_HAS_DEAD;
	else
		LearnedPageGetOpaque(page)->flags &= ~LEARNED_LEAF_HAS_DEAD;
	GenericXLogFinish(xlog);
}

/*
 * Mark the exclusively locked leaf in buf as holding dead entries, unless
 * it says so already (a uniqueness check met an entry dead to everyone).
 */
void
learned_dead_mark_locked(Relation index, Buffer buf)
{
	Page		page = BufferGetPage(buf);

	if (!LearnedPageIsLeaf(page) ||
		(LearnedPageGetOpaque(page)->flags & LEARNED_LEAF_HAS_DEAD) ||
		RecoveryInProgress() || !learned_dead_removal_possible(index))
		return;
	learned_dead_set_flag(index, buf, true);
}

/*
 * Mark leaf block as holding dead entries: a scan left the leaf after the
 * executor reported some of its entries dead (kill_prior_tuple).  The scan
 * holds no lock here.  The exclusive lock is only tried, never waited for:
 * a busy leaf goes unmarked this time, as nbtree's _bt_killitems gives up
 * when the page changed.  No check of the page's LSN is needed, unlike
 * nbtree's: the flag names no entry, and an entry dead to everyone stays
 * so until a removal takes it; a flag whose entries are gone costs one
 * removal pass that finds nothing and clears it.
 */
void
learned_dead_mark_block(Relation index, BlockNumber block)
{
	Buffer		buf;

	if (RecoveryInProgress() || !learned_dead_removal_possible(index))
		return;
	buf = ReadBuffer(index, block);
	if (ConditionalLockBuffer(buf))
	{
		learned_check_page(index, buf, LEARNED_PAGE_LEAF);
		learned_dead_mark_locked(index, buf);
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
	}
	ReleaseBuffer(buf);
}

/* For qsort: entry positions by key, through the keys array. */
static int
learned_dead_cmp_key(const void *a, const void *b, void *arg)
{
	const int64 *keys = (const int64 *) arg;
	int64		ka = keys[*(const uint16 *) a];
	int64		kb = keys[*(const uint16 *) b];

	return ka < kb ? -1 : (ka > kb ? 1 : 0);
}

/*
 * Ask the heap which of the candidate entries (positions[0..ncandidates))
 * are dead to everyone, and set dead[] for those; returns how many, and
 * moves *horizon forward to cover them.  known[] says which candidates are
 * known dead (a simple pass, bottomup false: the others share their heap
 * blocks and are checked in passing); promising[] guides a bottom-up pass.
 */
static int
learned_dead_ask_heap(Relation index, Relation heap, Buffer buf,
					  const uint16 *candidates, int ncandidates,
					  const bool *known, const bool *promising, bool bottomup,
					  bool *dead, TransactionId *horizon)
{
	Page		page = BufferGetPage(buf);
	int			entry_size = (learned_leaf_format_bits(LearnedLeafFormatOf(page)) + 7) / 8;
	TM_IndexDeleteOp delstate;
	TransactionId latest;
	int			ndead = 0;

	delstate.irel = index;
	delstate.iblknum = BufferGetBlockNumber(buf);
	delstate.bottomup = bottomup;
	delstate.bottomupfreespace = bottomup ? Max(BLCKSZ / 16, entry_size) : 0;
	delstate.ndeltids = ncandidates;
	delstate.deltids = palloc(ncandidates * sizeof(TM_IndexDelete));
	delstate.status = palloc(ncandidates * sizeof(TM_IndexStatus));
	for (int i = 0; i < ncandidates; i++)
	{
		int			pos = candidates[i];

		delstate.deltids[i].tid = learned_leaf_tid(page, pos);
		delstate.deltids[i].id = (int16) i;
		/* An offset number counts from 1 (the heap may assert it valid). */
		delstate.status[i].idxoffnum = (OffsetNumber) (pos + 1);
		delstate.status[i].knowndeletable = !bottomup && known[pos];
		delstate.status[i].promising = bottomup && promising[pos];
		delstate.status[i].freespace = bottomup ? (int16) entry_size : 0;
	}

	latest = table_index_delete_tuples(heap, &delstate);

	for (int i = 0; i < delstate.ndeltids; i++)
	{
		TM_IndexStatus *status = &delstate.status[delstate.deltids[i].id];
		int			pos = status->idxoffnum - 1;

		if (status->knowndeletable && !dead[pos])
		{
			dead[pos] = true;
			ndead++;
		}
	}
	if (ndead > 0 && TransactionIdIsValid(latest) &&
		(!TransactionIdIsValid(*horizon) ||
		 TransactionIdFollows(latest, *horizon)))
		*horizon = latest;
	pfree(delstate.deltids);
	pfree(delstate.status);
	return ndead;
}

/* For bsearch and qsort over heap block numbers. */
static int
learned_dead_cmp_block(const void *a, const void *b)
{
	BlockNumber ba = *(const BlockNumber *) a;
	BlockNumber bb = *(const BlockNumber *) b;

	return ba < bb ? -1 : (ba > bb ? 1 : 0);
}

/*
 * Before the full, exclusively locked leaf in buf splits for an entry with
 * key newkey: remove the entries whose heap tuples are dead to everyone, if
 * there is reason to look (see the file header).  index_unchanged is
 * aminsert's hint that the entry comes from an UPDATE that did not change
 * the key; known holds what the uniqueness check found dead on this leaf.
 * Two passes, as nbtree's _bt_delete_or_dedup_one_page makes them: a simple
 * one over the known dead entries (and, in passing, the others on their
 * heap blocks), then, if that freed less than a sixteenth of the page, a
 * bottom-up one.  Returns true if entries were removed; the leaf stays
 * locked either way.
 */
bool
learned_dead_remove(Relation index, Relation heap, Buffer buf, int64 newkey,
					bool index_unchanged, const LearnedKnownDead *known)
{
	Page		page = BufferGetPage(buf);
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
	bool		marked = (opaque->flags & LEARNED_LEAF_HAS_DEAD) != 0;
	bool		unique = index->rd_index->indisunique;
	int			n = LearnedLeafCount(page);
	int			entry_size = (learned_leaf_format_bits(LearnedLeafFormatOf(page)) + 7) / 8;
	int64		keys[LEARNED_LEAF_MAX_CAPACITY];
	uint16		order[LEARNED_LEAF_MAX_CAPACITY];
	bool		promising[LEARNED_LEAF_MAX_CAPACITY];
	bool		is_known[LEARNED_LEAF_MAX_CAPACITY];
	bool		dead[LEARNED_LEAF_MAX_CAPACITY];
	uint16		positions[LEARNED_LEAF_MAX_CAPACITY];
	BlockNumber known_blocks[LEARNED_KNOWN_DEAD_MAX];
	int			nknown_blocks = 0;
	int			nknown = 0;
	int			npromising = 0;
	int			ndead = 0;
	TransactionId horizon = InvalidTransactionId;

	if (n == 0 || !learned_dead_removal_possible(index))
		return false;

	/*
	 * Promising entries: those whose key appears more than once on the leaf
	 * (in a unique index all but one of them are old versions; in any index
	 * they are where UPDATEs that kept the key leave their garbage), and
	 * those with the new entry's key when its UPDATE kept the key.  Known
	 * dead: the uniqueness check's.
	 */
	for (int i = 0; i < n; i++)
	{
		keys[i] = learned_leaf_key(page, i);
		order[i] = (uint16) i;
		promising[i] = index_unchanged && keys[i] == newkey;
		is_known[i] = false;
		dead[i] = false;
		if (keys[i] == newkey)
		{
			ItemPointerData tid = learned_leaf_tid(page, i);

			for (int k = 0; k < known->n; k++)
			{
				if (ItemPointerEquals(&tid, (ItemPointer) &known->tids[k]))
				{
					is_known[i] = true;
					nknown++;
					known_blocks[nknown_blocks++] = ItemPointerGetBlockNumber(&tid);
					break;
				}
			}
		}
	}
	qsort_arg(order, n, sizeof(uint16), learned_dead_cmp_key, keys);
	for (int i = 0; i < n; i++)
	{
		bool		dup = (i > 0 && keys[order[i - 1]] == keys[order[i]]) ||
			(i + 1 < n && keys[order[i + 1]] == keys[order[i]]);

		if (dup && (unique || index_unchanged))
			promising[order[i]] = true;
		if (promising[order[i]])
			npromising++;
	}

	/*
	 * Look only when something points at garbage: the flag, the hint,
	 * known dead entries or duplicates in a unique index.  Otherwise
	 * (inserts of new keys) the split costs no heap reads, as before.
	 */
	if (!marked && !index_unchanged && nknown == 0 && npromising == 0)
		return false;

	/* Simple pass: the known dead and the entries on their heap blocks. */
	if (nknown > 0)
	{
		int			ncandidates = 0;

		qsort(known_blocks, nknown_blocks, sizeof(BlockNumber),
			  learned_dead_cmp_block);
		for (int i = 0; i < n; i++)
		{
			if (!is_known[i])
			{
				ItemPointerData tid = learned_leaf_tid(page, i);
				BlockNumber block = ItemPointerGetBlockNumber(&tid);

				if (bsearch(&block, known_blocks, nknown_blocks,
							sizeof(BlockNumber), learned_dead_cmp_block) == NULL)
					continue;
			}
			positions[ncandidates++] = (uint16) i;
		}
		ndead += learned_dead_ask_heap(index, heap, buf, positions, ncandidates,
									   is_known, promising, false, dead,
									   &horizon);
	}

	/* Bottom-up pass over the rest, unless the first freed enough. */
	if (ndead * entry_size < BLCKSZ / 16 &&
		(marked || index_unchanged || npromising > 0))
	{
		int			ncandidates = 0;

		for (int i = 0; i < n; i++)
		{
			if (!dead[i])
				positions[ncandidates++] = (uint16) i;
		}
		if (ncandidates > 0)
			ndead += learned_dead_ask_heap(index, heap, buf, positions,
										   ncandidates, is_known, promising,
										   true, dead, &horizon);
	}

	if (ndead == 0)
	{
		/* Nothing to remove: stop looking until something is marked again. */
		if (marked)
			learned_dead_set_flag(index, buf, false);
		return false;
	}

	/* Positions ascending, as the record and learned_delete_apply want. */
	ndead = 0;
	for (int i = 0; i < n; i++)
	{
		if (dead[i])
			positions[ndead++] = (uint16) i;
	}
	if (learned_rmgr_registered)
		learned_delete_log(index, heap, buf, positions, ndead, horizon);
	else
	{
		/* No standby reads this WAL (learned_dead_removal_possible). */
		GenericXLogState *xlog = GenericXLogStart(index);
		Page		copy = GenericXLogRegisterBuffer(xlog, buf, 0);

		learned_delete_apply(copy, positions, ndead);
		GenericXLogFinish(xlog);
	}
	return true;
}
