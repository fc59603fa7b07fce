/*-------------------------------------------------------------------------
 *
 * learned_unique.c
 *	  Unique learned indexes: the uniqueness check of an insert and the
 *	  duplicate check of CREATE INDEX, done as nbtree does them
 *	  (nbtinsert.c's _bt_doinsert and _bt_check_unique, nbtsort.c's two
 *	  spools).
 *
 * An insert into a unique index first locks, exclusively, the leaf where
 * the first entry of its key belongs (a search in LEARNED_SEARCH_FIRST
 * mode), and looks at every entry with that key there and on the right
 * neighbours while the high fence still has the key: in each leaf's main
 * run, recent run and pending entries (learned_leaf_collect).  Every
 * inserter of a key takes that same first leaf's lock, so two cannot both
 * miss each other.  Each equal entry's heap tuple is fetched with a dirty
 * snapshot, following its HOT chain:
 *	- dead to everyone: not a conflict;
 *	- inserted or deleted by a transaction still in progress: release every
 *	  lock, wait for that transaction (or for its speculative insertion
 *	  token), then repeat the whole check from the lookup;
 *	- live: a conflict.  UNIQUE_CHECK_PARTIAL (ON CONFLICT arbiters,
 *	  deferred constraints) just notes it and inserts; UNIQUE_CHECK_YES
 *	  raises nbtree's error unless the new tuple itself is dead by now
 *	  (CREATE INDEX CONCURRENTLY's validation inserts such tuples).
 * UNIQUE_CHECK_EXISTING rechecks an entry already in the index: the entry
 * itself is no conflict, and must be found.  The new entry then goes to its
 * own (key, TID) place, reached from the first leaf with locks coupled
 * (learned_insert_step_right).
 *
 * NULL keys are distinct from each other unless the index says NULLS NOT
 * DISTINCT; then the NULL chain is checked the same way under the
 * exclusive lock of its first page, which every such inserter takes first.
 *
 * CREATE INDEX sorts the entries of live tuples and those of recently dead
 * ones (the build scan's tupleIsAlive) apart and merges them while writing
 * the leaves: both are indexed, only equal keys among live tuples are
 * duplicates.  A parallel build's one merged stream carries the flag in each
 * entry instead, and its NULL keys first (learned_spool_next_null); equal
 * keys that two participants scanned meet in that merge, so the check is
 * the same as a serial build's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "learned.h"

/* What one equal entry means for the check. */
typedef enum LearnedUniqueVerdict
{
	LEARNED_UNIQUE_GO_ON,		/* no conflict: look at the next entry */
	LEARNED_UNIQUE_STOP,		/* no need to look further */
	LEARNED_UNIQUE_WAIT,		/* wait for a transaction, then start over */
	LEARNED_UNIQUE_CONFLICT		/* a live duplicate: raise the error */
} LearnedUniqueVerdict;

typedef struct LearnedUniqueCheck
{
	Relation	index;
	Relation	heap;
	ItemPointer tid;			/* the new (or rechecked) entry's heap TID */
	IndexUniqueCheck mode;
	SnapshotData dirty;
	bool		found_self;		/* UNIQUE_CHECK_EXISTING met its entry */
	bool		is_unique;		/* false once PARTIAL met a possible conflict */
	bool		found_dead;		/* met an entry dead to everyone */
	LearnedKnownDead *known_dead;	/* where to note them, or NULL */
	TransactionId xwait;		/* LEARNED_UNIQUE_WAIT: whom to wait for */
	uint32		speculative_token;	/* and its speculative insertion */
} LearnedUniqueCheck;

static void
learned_unique_check_init(LearnedUniqueCheck *check, Relation index,
						  Relation heap, ItemPointer tid,
						  IndexUniqueCheck mode)
{
	check->index = index;
	check->heap = heap;
	check->tid = tid;
	check->mode = mode;
	InitDirtySnapshot(check->dirty);
	check->found_self = false;
	check->is_unique = true;
	check->found_dead = false;
	check->known_dead = NULL;
	check->xwait = InvalidTransactionId;
	check->speculative_token = 0;
}

/* Judge one entry whose key equals the new one's (_bt_check_unique's loop). */
static LearnedUniqueVerdict
learned_unique_check_entry(LearnedUniqueCheck *check, ItemPointer entry_tid)
{
	ItemPointerData htid = *entry_tid;
	bool		all_dead = false;

	/* A recheck finds its own entry: not a duplicate, look on. */
	if (check->mode == UNIQUE_CHECK_EXISTING &&
		ItemPointerEquals(&htid, check->tid))
	{
		check->found_self = true;
		return LEARNED_UNIQUE_GO_ON;
	}

	/* Any tuple of its HOT chain visible to a dirty snapshot? */
	if (!table_index_fetch_tuple_check(check->heap, &htid, &check->dirty,
									   &all_dead))
	{
		if (all_dead)
		{
			check->found_dead = true;
			if (check->known_dead != NULL &&
				check->known_dead->n < LEARNED_KNOWN_DEAD_MAX)
				check->known_dead->tids[check->known_dead->n++] = *entry_tid;
		}
		return LEARNED_UNIQUE_GO_ON;
	}

	/* A partial check only reports the possible conflict, never waits. */
	if (check->mode == UNIQUE_CHECK_PARTIAL)
	{
		check->is_unique = false;
		return LEARNED_UNIQUE_STOP;
	}

	/* Inserted or deleted by a transaction in progress: wait for it. */
	check->xwait = TransactionIdIsValid(check->dirty.xmin) ?
		check->dirty.xmin : check->dirty.xmax;
	if (TransactionIdIsValid(check->xwait))
	{
		check->speculative_token = check->dirty.speculativeToken;
		return LEARNED_UNIQUE_WAIT;
	}

	/*
	 * A definite conflict, unless the new tuple itself is dead by now: the
	 * validation of CREATE INDEX CONCURRENTLY inserts the root TID of a HOT
	 * chain whose member may since have been deleted.
	 */
	htid = *check->tid;
	if (!table_index_fetch_tuple_check(check->heap, &htid, SnapshotSelf, NULL))
		return LEARNED_UNIQUE_STOP;
	return LEARNED_UNIQUE_CONFLICT;
}

/* nbtree's error for a live duplicate, raised with no buffer lock held. */
static void
learned_unique_report(Relation index, Relation heap, Datum *values,
					  bool *isnull)
{
	char	   *key_desc = BuildIndexValueDescription(index, values, isnull);

	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("duplicate key value violates unique constraint \"%s\"",
					RelationGetRelationName(index)),
			 key_desc ? errdetail("Key %s already exists.", key_desc) : 0,
			 errtableconstraint(heap, RelationGetRelationName(index))));
}

/* A recheck that did not find its own entry: nbtree's error. */
static void
learned_unique_report_not_found(Relation index, Relation heap)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("failed to re-find tuple within index \"%s\"",
					RelationGetRelationName(index)),
			 errhint("This may be because of a non-immutable index expression."),
			 errtableconstraint(heap, RelationGetRelationName(index))));
}

/* Wait, with no buffer lock held, for the transaction the check met. */
static void
learned_unique_wait(LearnedUniqueCheck *check)
{
	if (check->speculative_token)
		SpeculativeInsertionWait(check->xwait, check->speculative_token);
	else
		XactLockTableWait(check->xwait, check->index, check->tid,
						  XLTW_InsertIndex);
}

/*
 * Check that key may enter the unique index (see the file header) and
 * return the first leaf of the key, locked exclusively, for the insertion
 * to start from.  *is_unique is set false when a UNIQUE_CHECK_PARTIAL check
 * met a possible conflict.  *target and *moved_right are
 * learned_insert_find_leaf's.
 */
Buffer
learned_unique_check(Relation index, Datum *values, bool *isnull, int64 key,
					 ItemPointer tid, Relation heap, IndexUniqueCheck mode,
					 bool *is_unique, LearnedTarget *target, bool *moved_right,
					 LearnedKnownDead *known_dead)
{
	LearnedSearchKey skey;
	int64		keys[LEARNED_LEAF_MAX_CAPACITY];
	ItemPointerData tids[LEARNED_LEAF_MAX_CAPACITY];
	LearnedUniqueCheck check;

	Assert(mode != UNIQUE_CHECK_NO);
	skey.key = key;
	skey.mode = LEARNED_SEARCH_FIRST;
	ItemPointerSetInvalid(&skey.tid);

	for (;;)
	{
		Buffer		buf;
		Buffer		nbuf = InvalidBuffer;	/* a right neighbour, share-locked */
		Page		page;
		LearnedUniqueVerdict verdict = LEARNED_UNIQUE_GO_ON;

		learned_unique_check_init(&check, index, heap, tid, mode);
		known_dead->n = 0;
		check.known_dead = known_dead;
		buf = learned_insert_find_leaf(index, &skey, target, moved_right);
		page = BufferGetPage(buf);
		for (;;)
		{
			LearnedPageOpaque opaque = LearnedPageGetOpaque(page);
			int			n = learned_leaf_collect(page, key, key, keys, tids);
			BlockNumber right;

			for (int i = 0; i < n && verdict == LEARNED_UNIQUE_GO_ON; i++)
				verdict = learned_unique_check_entry(&check, &tids[i]);

			/*
			 * Entries dead to everyone on the first leaf, which we hold
			 * exclusively: mark it, so that they are removed before it
			 * splits (learned_dead.c).  A right neighbour, only
			 * share-locked, is left unmarked.
			 */
			if (check.found_dead && !BufferIsValid(nbuf))
				learned_dead_mark_locked(index, buf);
			check.found_dead = false;
			check.known_dead = NULL;	/* only the first leaf's */
			if (verdict != LEARNED_UNIQUE_GO_ON)
				break;

			/* Equal keys may continue on the right only if the fence has the key. */
			if ((opaque->flags & LEARNED_RIGHTMOST) ||
				opaque->high_fence.key != key)
				break;
			/* opaque may lie in nbuf: read the link before letting it go. */
			right = opaque->right;
			if (BufferIsValid(nbuf))
				UnlockReleaseBuffer(nbuf);
			nbuf = ReadBuffer(index, right);
			LockBuffer(nbuf, BUFFER_LOCK_SHARE);
			learned_check_page(index, nbuf, LEARNED_PAGE_LEAF);
			page = BufferGetPage(nbuf);
		}
		if (BufferIsValid(nbuf))
			UnlockReleaseBuffer(nbuf);

		if (verdict == LEARNED_UNIQUE_WAIT)
		{
			UnlockReleaseBuffer(buf);
			learned_unique_wait(&check);
			continue;
		}
		if (verdict == LEARNED_UNIQUE_CONFLICT)
		{
			/*
			 * Release the leaf first: building the key's description may
			 * read catalogs, and so, at worst, this very index.
			 */
			UnlockReleaseBuffer(buf);
			learned_unique_report(index, heap, values, isnull);
		}
		if (mode == UNIQUE_CHECK_EXISTING && !check.found_self)
		{
			UnlockReleaseBuffer(buf);
			learned_unique_report_not_found(index, heap);
		}
		*is_unique = check.is_unique;
		return buf;
	}
}

/*
 * Insert a NULL key into a unique index whose NULLs are not distinct: check
 * every TID of the NULL chain as an equal key, under the exclusive lock of
 * the chain's first page (its head never changes once created), then
 * append to the chain's last page.  Locks go left to right along the
 * chain, then to the metapage, as elsewhere.  Returns false if a
 * UNIQUE_CHECK_PARTIAL check met a possible conflict.
 */
bool
learned_unique_insert_null(Relation index, Datum *values, bool *isnull,
						   ItemPointer tid, Relation heap,
						   IndexUniqueCheck mode)
{
	LearnedUniqueCheck check;

	Assert(mode != UNIQUE_CHECK_NO);
	for (;;)
	{
		Buffer		metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
		BlockNumber head;
		Buffer		headbuf;
		Buffer		buf;
		LearnedUniqueVerdict verdict = LEARNED_UNIQUE_GO_ON;

		LockBuffer(metabuf, BUFFER_LOCK_SHARE);
		learned_check_page(index, metabuf, LEARNED_PAGE_META);
		head = LearnedPageGetMeta(BufferGetPage(metabuf))->null_head;
		LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);

		if (head == InvalidBlockNumber)
		{
			/* No NULL at all yet: no conflict, and the chain starts here. */
			if (mode == UNIQUE_CHECK_EXISTING)
			{
				ReleaseBuffer(metabuf);
				learned_unique_report_not_found(index, heap);
			}
			LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
			if (LearnedPageGetMeta(BufferGetPage(metabuf))->null_head ==
				InvalidBlockNumber)
			{
				learned_nulls_create(index, metabuf, tid);
				UnlockReleaseBuffer(metabuf);
				return true;
			}
			/* Someone else started it meanwhile: check against theirs. */
			UnlockReleaseBuffer(metabuf);
			continue;
		}
		ReleaseBuffer(metabuf);

		learned_unique_check_init(&check, index, heap, tid, mode);
		headbuf = ReadBuffer(index, head);
		LockBuffer(headbuf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, headbuf, LEARNED_PAGE_NULLS);
		buf = headbuf;
		for (;;)
		{
			Page		page = BufferGetPage(buf);
			int			n = LearnedNullsCount(page);
			BlockNumber right = LearnedPageGetOpaque(page)->right;
			Buffer		next;

			for (int i = 0; i < n && verdict == LEARNED_UNIQUE_GO_ON; i++)
				verdict = learned_unique_check_entry(&check,
													 &LearnedNullsTids(page)[i]);
			if (verdict == LEARNED_UNIQUE_WAIT ||
				verdict == LEARNED_UNIQUE_CONFLICT ||
				right == InvalidBlockNumber)
				break;
			/* On to the last page, where the TID goes, keeping the head. */
			next = ReadBuffer(index, right);
			LockBuffer(next, BUFFER_LOCK_EXCLUSIVE);
			learned_check_page(index, next, LEARNED_PAGE_NULLS);
			if (buf != headbuf)
				UnlockReleaseBuffer(buf);
			buf = next;
		}

		if (verdict == LEARNED_UNIQUE_WAIT || verdict == LEARNED_UNIQUE_CONFLICT ||
			mode == UNIQUE_CHECK_EXISTING)
		{
			if (buf != headbuf)
				UnlockReleaseBuffer(buf);
			UnlockReleaseBuffer(headbuf);
			if (verdict == LEARNED_UNIQUE_WAIT)
			{
				learned_unique_wait(&check);
				continue;
			}
			if (verdict == LEARNED_UNIQUE_CONFLICT)
				learned_unique_report(index, heap, values, isnull);
			if (!check.found_self)
				learned_unique_report_not_found(index, heap);
			return true;
		}

		/* buf is the chain's last page; the head stays locked until then. */
		learned_nulls_append_at_tail(index, buf, tid);
		if (buf != headbuf)
			UnlockReleaseBuffer(headbuf);
		return check.is_unique;
	}
}

/* ----------------------------------------------------------------
 *	CREATE INDEX: entries of live and of recently dead tuples
 * ----------------------------------------------------------------
 */

/*
 * The build's entries, sorted.  A non-unique index keeps them in one sort;
 * a unique one keeps those of recently dead tuples in a second, so that
 * reading them back in (key, TID) order merges the two and knows which
 * entries are live: only equal keys of live tuples are duplicates.
 */
struct LearnedSpool
{
	Relation	index;
	Relation	heap;
	bool		unique;
	LearnedSort *live;			/* NULL if merged */
	LearnedSort *dead;			/* NULL unless unique */
	LearnedParallelBuild *merged;	/* a parallel build's leader: every
									 * entry, from its merge of the runs */
	/* the next entry of each sort, read ahead for the merge */
	bool		live_ready;
	bool		live_isnull;	/* merged only: a NULL key */
	bool		live_alive;		/* merged only: else always true */
	bool		dead_ready;
	int64		live_key;
	int64		dead_key;
	ItemPointerData live_tid;
	ItemPointerData dead_tid;
	/* the last live key handed out */
	bool		have_last_live;
	int64		last_live_key;
	/* live NULL keys seen, for NULLS NOT DISTINCT */
	uint64		live_nulls;
};

LearnedSpool *
learned_spool_begin(Relation heap, Relation index, bool unique)
{
	LearnedSpool *spool = palloc0(sizeof(LearnedSpool));

	spool->index = index;
	spool->heap = heap;
	spool->unique = unique;
	spool->live = learned_sort_begin(maintenance_work_mem,
									 learned_estimated_rows(heap));
	/* nbtree's spool2 of dead tuples gets work_mem, as here: few, as a rule. */
	if (unique)
		spool->dead = learned_sort_begin(work_mem, 0);
	return spool;
}

/*
 * The spool of a parallel build's leader: merged reads every participant's
 * sorted run (learned_build_parallel_next), NULL keys and recently dead
 * tuples included.
 */
LearnedSpool *
learned_spool_begin_merged(Relation heap, Relation index, bool unique,
						   LearnedParallelBuild *merged)
{
	LearnedSpool *spool = palloc0(sizeof(LearnedSpool));

	spool->index = index;
	spool->heap = heap;
	spool->unique = unique;
	spool->merged = merged;
	return spool;
}

void
learned_spool_put(LearnedSpool *spool, int64 key, ItemPointer tid,
				  bool alive)
{
	if (spool->unique && !alive)
		learned_sort_put(spool->dead, key, tid);
	else
		learned_sort_put(spool->live, key, tid);
}

/* The error of a duplicate found at build: nbtree's (tuplesort.c). */
static void
learned_spool_report(LearnedSpool *spool, Datum value, bool isnull)
{
	char	   *key_desc = BuildIndexValueDescription(spool->index, &value,
													  &isnull);

	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("could not create unique index \"%s\"",
					RelationGetRelationName(spool->index)),
			 key_desc ? errdetail("Key %s is duplicated.", key_desc) :
			 errdetail("Duplicate keys exist."),
			 errtableconstraint(spool->heap,
								RelationGetRelationName(spool->index))));
}

/*
 * A NULL key of a live (alive) or recently dead tuple was indexed: with
 * NULLS NOT DISTINCT, a second live one is a duplicate.
 */
void
learned_spool_note_null(LearnedSpool *spool, bool alive)
{
	if (spool->unique && alive &&
		spool->index->rd_index->indnullsnotdistinct &&
		++spool->live_nulls > 1)
		learned_spool_report(spool, (Datum) 0, true);
}

/* Read the next entry of the live (or merged) sort ahead. */
static void
learned_spool_read_live(LearnedSpool *spool)
{
	if (spool->merged)
		spool->live_ready = learned_build_parallel_next(spool->merged,
														&spool->live_key,
														&spool->live_isnull,
														&spool->live_tid,
														&spool->live_alive);
	else
	{
		spool->live_ready = learned_sort_next(spool->live, &spool->live_key,
											  &spool->live_tid);
		spool->live_alive = true;
	}
}

void
learned_spool_perform(LearnedSpool *spool)
{
	if (spool->live)
		learned_sort_perform(spool->live);
	learned_spool_read_live(spool);
	if (spool->dead)
	{
		learned_sort_perform(spool->dead);
		spool->dead_ready = learned_sort_next(spool->dead, &spool->dead_key,
											  &spool->dead_tid);
	}
}

/*
 * A merged spool's next NULL-key entry: they come first, in TID order;
 * false once the keys begin.  A serial build writes its NULLs during the
 * table scan and has none here.
 */
bool
learned_spool_next_null(LearnedSpool *spool, ItemPointerData *tid)
{
	if (!spool->merged || !spool->live_ready || !spool->live_isnull)
		return false;
	*tid = spool->live_tid;
	learned_spool_note_null(spool, spool->live_alive);
	learned_spool_read_live(spool);
	return true;
}

/*
 * The next entry in (key, TID) order; false when there are no more.  A
 * merged spool's NULL keys must have been read by learned_spool_next_null.
 */
bool
learned_spool_next(LearnedSpool *spool, int64 *key, ItemPointerData *tid)
{
	bool		take_live;

	/* Can't happen: the caller reads the NULL keys first. */
	if (spool->live_ready && spool->live_isnull)
		elog(ERROR, "learned index build: NULL key in the sorted keys");

	if (!spool->live_ready && !spool->dead_ready)
		return false;
	if (!spool->dead_ready)
		take_live = true;
	else if (!spool->live_ready)
		take_live = false;
	else if (spool->live_key != spool->dead_key)
		take_live = spool->live_key < spool->dead_key;
	else
		take_live = ItemPointerCompare(&spool->live_tid, &spool->dead_tid) < 0;

	if (!take_live)
	{
		*key = spool->dead_key;
		*tid = spool->dead_tid;
		spool->dead_ready = learned_sort_next(spool->dead, &spool->dead_key,
											  &spool->dead_tid);
		return true;
	}

	*key = spool->live_key;
	*tid = spool->live_tid;
	if (spool->unique && spool->live_alive)
	{
		if (spool->have_last_live && spool->last_live_key == *key)
			learned_spool_report(spool,
								 learned_key_to_datum(*key,
													  learned_index_keytype(spool->index)),
								 false);
		spool->have_last_live = true;
		spool->last_live_key = *key;
	}
	learned_spool_read_live(spool);
	return true;
}

void
learned_spool_end(LearnedSpool *spool)
{
	if (spool->live)
		learned_sort_end(spool->live);
	if (spool->dead)
		learned_sort_end(spool->dead);
	pfree(spool);
}
