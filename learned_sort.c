/*-------------------------------------------------------------------------
 *
 * learned_sort.c
 *	  Sorting the (key, heap TID) entries of CREATE INDEX.
 *
 * The entries are small and fixed-size (an int64 key and a 6-byte TID), so
 * while they fit in maintenance_work_mem they are packed into an array of
 * 16-byte entries and sorted by a least-significant-digit radix sort on the
 * key: a few linear passes, digits that every key shares skipped (dense
 * ids vary in their low three bytes only).  Entries with equal keys are then
 * put in TID order: the radix sort is stable and the table scan delivers
 * TIDs almost in order (a synchronised scan that wraps around, or HOT
 * chains, can break it), so a run of duplicates needs sorting only when it
 * is not in order already.
 *
 * Past maintenance_work_mem (the array and its scratch copy count) every
 * entry goes to a tuplesort instead, which spills to disk.
 *
 * Each participant of a parallel build (learned_parallel_build.c) sorts its
 * share the same way, into a "run" sort (learned_sort_begin_run) whose
 * entries also carry NULL keys (first, in TID order) and whether the tuple
 * is alive, so that one sorted stream gives the leader everything the
 * serial build's separate sorts and NULL chain give it.  The flags live in
 * the entry's padding: an entry stays 16 bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_operator_d.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/tuplesort.h"

#include "learned.h"

/* One entry as the in-memory sort keeps it. */
typedef struct LearnedSortEntry
{
	int64		key;			/* 0 for a NULL key */
	ItemPointerData tid;
	uint8		flags;			/* LEARNED_SORT_* (a run sort's only) */
} LearnedSortEntry;

StaticAssertDecl(sizeof(LearnedSortEntry) == 16,
				 "the flags must fit in the entry's padding");

#define LEARNED_SORT_ALIVE		0x01	/* the heap tuple is alive */
#define LEARNED_SORT_NULL		0x02	/* the key is NULL */

/* Digits of the radix sort: 11 bits, so six passes cover a 64-bit key. */
#define LEARNED_RADIX_BITS		11
#define LEARNED_RADIX_BUCKETS	(1 << LEARNED_RADIX_BITS)
#define LEARNED_RADIX_DIGITS	((64 + LEARNED_RADIX_BITS - 1) / LEARNED_RADIX_BITS)

/* First capacity of the in-memory array, in entries. */
#define LEARNED_SORT_INITIAL	1024

struct LearnedSort
{
	Size		budget;			/* bytes the array and its scratch may use */
	LearnedSortEntry *entries;	/* in memory, while the budget allows */
	Size		nentries;
	Size		allocated;
	Size		next;			/* reading position after sorting */

	/*
	 * Once the budget is exceeded: a tuplesort holding every entry.  A run
	 * sort's are (key int8 or NULL, tid, alive bool).
	 */
	Tuplesortstate *tuplesort;
	TupleTableSlot *slot;		/* (key int8, tid) or (key, tid, alive) */
	bool		run;			/* a parallel build participant's sort */
	Size		nnulls;			/* run sort in memory: entries of NULL keys */
};

/* The key as an unsigned number that sorts in the same order. */
static inline uint64
learned_sort_ordered_key(int64 key)
{
	return (uint64) key ^ (UINT64CONST(1) << 63);
}

/* qsort comparator of LearnedSortEntry: learned_entry_cmp's order. */
static inline int
learned_sort_entry_cmp(const void *a, const void *b)
{
	const LearnedSortEntry *ea = (const LearnedSortEntry *) a;
	const LearnedSortEntry *eb = (const LearnedSortEntry *) b;

	return learned_entry_cmp(ea->key, &ea->tid, eb->key, &eb->tid);
}

LearnedSort *
learned_sort_begin(int work_mem_kb)
{
	LearnedSort *sort = palloc0(sizeof(LearnedSort));

	sort->budget = (Size) work_mem_kb * 1024;
	sort->allocated = LEARNED_SORT_INITIAL;
	sort->entries = palloc(sort->allocated * sizeof(LearnedSortEntry));
	return sort;
}

/* Hand one entry to the tuplesort. */
static void
learned_sort_put_tuple(LearnedSort *sort, const LearnedSortEntry *entry)
{
	TupleTableSlot *slot = sort->slot;

	ExecClearTuple(slot);
	slot->tts_values[0] = Int64GetDatum(entry->key);
	slot->tts_isnull[0] = (entry->flags & LEARNED_SORT_NULL) != 0;
	slot->tts_values[1] = PointerGetDatum(&entry->tid);
	slot->tts_isnull[1] = false;
	if (sort->run)
	{
		slot->tts_values[2] = BoolGetDatum((entry->flags & LEARNED_SORT_ALIVE) != 0);
		slot->tts_isnull[2] = false;
	}
	ExecStoreVirtualTuple(slot);
	tuplesort_puttupleslot(sort->tuplesort, slot);
}

/*
 * Start the tuplesort, sorting by (key, TID): two columns, or a run sort's
 * three (NULL keys first, and the alive flag, not sorted on).
 */
static void
learned_sort_begin_tuplesort(LearnedSort *sort)
{
	int			ncolumns = sort->run ? 3 : 2;
	TupleDesc	desc = CreateTemplateTupleDesc(ncolumns);
	AttrNumber	columns[2] = {1, 2};
	Oid			operators[2] = {Int8LessOperator, TIDLessOperator};
	Oid			collations[2] = {InvalidOid, InvalidOid};
	bool		nulls_first[2] = {true, false};

	TupleDescInitEntry(desc, (AttrNumber) 1, "key", INT8OID, -1, 0);
	TupleDescInitEntry(desc, (AttrNumber) 2, "tid", TIDOID, -1, 0);
	if (sort->run)
		TupleDescInitEntry(desc, (AttrNumber) 3, "alive", BOOLOID, -1, 0);
	sort->slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	sort->tuplesort = tuplesort_begin_heap(desc, 2, columns, operators,
										   collations, nulls_first,
										   (int) (sort->budget / 1024),
										   NULL,
#if PG_VERSION_NUM >= 150000
										   TUPLESORT_NONE
#else
										   false
#endif
		);
}

/* Move every entry into a tuplesort: the array would exceed the budget. */
static void
learned_sort_spill(LearnedSort *sort)
{
	Size		i;

	learned_sort_begin_tuplesort(sort);

	for (i = 0; i < sort->nentries; i++)
		learned_sort_put_tuple(sort, &sort->entries[i]);
	pfree(sort->entries);
	sort->entries = NULL;
	sort->nentries = sort->allocated = 0;
}

/*
 * A parallel build participant's sort: its entries may have NULL keys, and
 * say whether their tuple is alive.
 */
LearnedSort *
learned_sort_begin_run(int work_mem_kb)
{
	LearnedSort *sort = learned_sort_begin(work_mem_kb);

	sort->run = true;
	return sort;
}

static void
learned_sort_put_entry(LearnedSort *sort, const LearnedSortEntry *entry)
{
	if (sort->tuplesort == NULL && sort->nentries == sort->allocated)
	{
		Size		grown = sort->allocated * 2;

		/* The radix sort needs a scratch array as large as the entries. */
		if (2 * grown * sizeof(LearnedSortEntry) > sort->budget ||
			grown * sizeof(LearnedSortEntry) > MaxAllocHugeSize)
			learned_sort_spill(sort);
		else
		{
			sort->entries = repalloc_huge(sort->entries,
										  grown * sizeof(LearnedSortEntry));
			sort->allocated = grown;
		}
	}

	if (sort->tuplesort != NULL)
	{
		learned_sort_put_tuple(sort, entry);
		return;
	}

	sort->entries[sort->nentries++] = *entry;
	if (entry->flags & LEARNED_SORT_NULL)
		sort->nnulls++;
}

void
learned_sort_put(LearnedSort *sort, int64 key, ItemPointer tid)
{
	LearnedSortEntry entry;

	Assert(!sort->run);
	entry.key = key;
	entry.tid = *tid;
	entry.flags = LEARNED_SORT_ALIVE;
	learned_sort_put_entry(sort, &entry);
}

/* Put an entry of a run sort: its key may be NULL. */
void
learned_sort_put_run(LearnedSort *sort, int64 key, bool isnull,
					 ItemPointer tid, bool alive)
{
	LearnedSortEntry entry;

	Assert(sort->run);
	entry.key = isnull ? 0 : key;
	entry.tid = *tid;
	entry.flags = (isnull ? LEARNED_SORT_NULL : 0) |
		(alive ? LEARNED_SORT_ALIVE : 0);
	learned_sort_put_entry(sort, &entry);
}

/*
 * LSD radix sort of entries[0..n) by key, stable; scratch has room for n
 * entries.  Returns the array that holds the result (entries or scratch).
 */
static LearnedSortEntry *
learned_radix_sort(LearnedSortEntry *entries, LearnedSortEntry *scratch,
				   Size n)
{
	Size	   *counts;
	Size		i;
	int			digit;
	LearnedSortEntry *src = entries;
	LearnedSortEntry *dst = scratch;

	/* Every digit's histogram, in one pass. */
	counts = palloc0(LEARNED_RADIX_DIGITS * LEARNED_RADIX_BUCKETS * sizeof(Size));
	for (i = 0; i < n; i++)
	{
		uint64		k = learned_sort_ordered_key(entries[i].key);

		for (digit = 0; digit < LEARNED_RADIX_DIGITS; digit++)
			counts[digit * LEARNED_RADIX_BUCKETS +
				   ((k >> (digit * LEARNED_RADIX_BITS)) & (LEARNED_RADIX_BUCKETS - 1))]++;
	}

	for (digit = 0; digit < LEARNED_RADIX_DIGITS; digit++)
	{
		Size	   *count = counts + digit * LEARNED_RADIX_BUCKETS;
		int			shift = digit * LEARNED_RADIX_BITS;
		Size		offset = 0;
		int			bucket;
		bool		shared = false;

		/* A digit every key has in common orders nothing: skip it. */
		for (bucket = 0; bucket < LEARNED_RADIX_BUCKETS; bucket++)
		{
			Size		c = count[bucket];

			if (c == n)
				shared = true;
			count[bucket] = offset;
			offset += c;
		}
		if (shared)
			continue;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
		{
			uint64		k = learned_sort_ordered_key(src[i].key);
			int			b = (k >> shift) & (LEARNED_RADIX_BUCKETS - 1);

			dst[count[b]++] = src[i];
		}
		{
			LearnedSortEntry *swap = src;

			src = dst;
			dst = swap;
		}
	}
	pfree(counts);
	return src;
}

void
learned_sort_perform(LearnedSort *sort)
{
	LearnedSortEntry *scratch;
	LearnedSortEntry *sorted;
	Size		n = sort->nentries;
	Size		start;

	/*
	 * No message from a run sort: in a parallel worker it would reach the
	 * client, once per participant.
	 */
	if (sort->tuplesort != NULL)
	{
		if (!sort->run)
			elog(DEBUG1, "learned index build: sorting with tuplesort, past maintenance_work_mem");
		tuplesort_performsort(sort->tuplesort);
		return;
	}
	if (!sort->run)
		elog(DEBUG1, "learned index build: radix-sorting " UINT64_FORMAT " entries in memory",
			 (uint64) n);
	if (n < 2)
		return;

	scratch = palloc_extended(n * sizeof(LearnedSortEntry), MCXT_ALLOC_HUGE);
	if (sort->nnulls > 0)
	{
		Size		nulls = 0;
		Size		keys = sort->nnulls;
		LearnedSortEntry *swap;

		/* NULL keys first, each part in its order so far (stable). */
		for (Size i = 0; i < n; i++)
		{
			if (sort->entries[i].flags & LEARNED_SORT_NULL)
				scratch[nulls++] = sort->entries[i];
			else
				scratch[keys++] = sort->entries[i];
		}
		swap = sort->entries;
		sort->entries = scratch;
		scratch = swap;
	}
	sorted = learned_radix_sort(sort->entries + sort->nnulls,
								scratch + sort->nnulls, n - sort->nnulls);
	if (sorted != sort->entries + sort->nnulls)
	{
		/* The keys are in scratch: the NULLs join them there. */
		memcpy(scratch, sort->entries, sort->nnulls * sizeof(LearnedSortEntry));
		pfree(sort->entries);
		sort->entries = scratch;
	}
	else
		pfree(scratch);

	/*
	 * Runs of equal keys (the NULLs are one) into TID order, where the scan
	 * left them out of it.
	 */
	start = 0;
	while (start < n)
	{
		Size		end = start + 1;
		bool		ordered = true;

		while (end < n && sort->entries[end].key == sort->entries[start].key &&
			   (sort->entries[end].flags & LEARNED_SORT_NULL) ==
			   (sort->entries[start].flags & LEARNED_SORT_NULL))
		{
			if (ItemPointerCompare(&sort->entries[end - 1].tid,
								   &sort->entries[end].tid) > 0)
				ordered = false;
			end++;
		}
		if (!ordered)
			qsort(&sort->entries[start], end - start, sizeof(LearnedSortEntry),
				  learned_sort_entry_cmp);
		start = end;
	}
}

bool
learned_sort_next(LearnedSort *sort, int64 *key, ItemPointerData *tid)
{
	Assert(!sort->run);
	if (sort->tuplesort != NULL)
	{
		bool		isnull;

		if (!tuplesort_gettupleslot(sort->tuplesort, true, false, sort->slot,
									NULL))
			return false;
		*key = DatumGetInt64(slot_getattr(sort->slot, 1, &isnull));
		*tid = *(ItemPointer) DatumGetPointer(slot_getattr(sort->slot, 2, &isnull));
		return true;
	}
	if (sort->next >= sort->nentries)
		return false;
	*key = sort->entries[sort->next].key;
	*tid = sort->entries[sort->next].tid;
	sort->next++;
	return true;
}

/* The next entry of a run sort, after learned_sort_perform; false at the end. */
bool
learned_sort_next_run(LearnedSort *sort, int64 *key, bool *isnull,
					  ItemPointerData *tid, bool *alive)
{
	Assert(sort->run);
	if (sort->tuplesort != NULL)
	{
		bool		null;
		Datum		value;

		if (!tuplesort_gettupleslot(sort->tuplesort, true, false, sort->slot,
									NULL))
			return false;
		value = slot_getattr(sort->slot, 1, isnull);
		*key = *isnull ? 0 : DatumGetInt64(value);
		*tid = *(ItemPointer) DatumGetPointer(slot_getattr(sort->slot, 2, &null));
		*alive = DatumGetBool(slot_getattr(sort->slot, 3, &null));
		return true;
	}
	if (sort->next >= sort->nentries)
		return false;
	*key = sort->entries[sort->next].key;
	*isnull = (sort->entries[sort->next].flags & LEARNED_SORT_NULL) != 0;
	*tid = sort->entries[sort->next].tid;
	*alive = (sort->entries[sort->next].flags & LEARNED_SORT_ALIVE) != 0;
	sort->next++;
	return true;
}

void
learned_sort_end(LearnedSort *sort)
{
	if (sort->tuplesort != NULL)
	{
		tuplesort_end(sort->tuplesort);
		ExecDropSingleTupleTableSlot(sort->slot);
	}
	if (sort->entries != NULL)
		pfree(sort->entries);
	pfree(sort);
}
