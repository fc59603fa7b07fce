/*-------------------------------------------------------------------------
 *
 * learned_sort.c
 *	  Sorting the (key, heap TID) entries of CREATE INDEX.
 *
 * The entries are small and fixed-size (an int64 key and a 6-byte TID), so
 * they are packed into an array of 16-byte entries and sorted by a radix
 * sort on the key: a few linear passes, digits that every key shares
 * skipped (dense ids vary in their low three bytes only); a large array is
 * split by its highest varying digit first and each part sorted least
 * significant digit first (learned_radix_sort).  An array found in order
 * already (a table written in key order) is left as it is.  Entries with
 * equal keys are then put in TID order: the radix sort is stable and the
 * table scan delivers TIDs almost in order (a synchronised scan that wraps
 * around, or HOT chains, can break it), so a run of duplicates needs
 * sorting only when it is not in order already.
 *
 * The array and its scratch copy take at most maintenance_work_mem, and
 * the array at most LEARNED_SORT_RUN_MAX entries.  When the array is full,
 * it is sorted and written to a temporary file as a sorted "run", and
 * filling starts again; at the end the runs and the last
 * array are merged (a binary heap of each run's next entry).  Every entry is
 * written to disk and read back once, as a tuplesort's would be, but sorted
 * by the radix sort and merged as 16-byte entries instead of formed into
 * tuples and compared as such, the largest cost of a build past the budget
 * when it went to a tuplesort.  Only when the runs would be so many that their read buffers would
 * not fit the budget either (a tiny budget for a large table) does every
 * entry go to a tuplesort instead, which merges in several passes.
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
#include "commands/tablespace.h"
#include "executor/tuptable.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "storage/buffile.h"
#include "storage/sharedfileset.h"
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

/*
 * Arrays of at least this many entries are split by their highest varying
 * digit first (learned_radix_sort); buckets of fewer than
 * LEARNED_RADIX_SMALL entries are sorted by comparison.
 */
#define LEARNED_RADIX_MSD_MIN	65536
#define LEARNED_RADIX_SMALL		1024

/*
 * Most entries of the array, whatever the budget: 128 MB, and as much
 * scratch.  Sorting more at once was slower than writing runs of this
 * size and merging them (30M rows: 9.4 s in one array, 8.2 s in runs of
 * 2M to 8M entries, PostgreSQL 15): every page of a larger array is
 * touched fresh, and its passes leave the caches further behind.
 */
#define LEARNED_SORT_RUN_MAX	((Size) 8 * 1024 * 1024)

/* First capacity of the in-memory array, in entries. */
#define LEARNED_SORT_INITIAL	1024

/*
 * Budget bytes per run file: a run being merged needs its file's read
 * buffer (BLCKSZ); the runs may take an eighth of the budget for those.
 */
#define LEARNED_SORT_BYTES_PER_RUN	(8 * BLCKSZ)

struct LearnedSort
{
	Size		budget;			/* bytes the array and its scratch may use */
	LearnedSortEntry *entries;	/* in memory, while the budget allows */
	Size		nentries;
	Size		allocated;
	Size		capacity;		/* most entries the array may hold */
	Size		next;			/* reading position after sorting */
	LearnedSortEntry *scratch;	/* the radix sort's, kept between runs */

	/*
	 * Sorted runs written to temporary files when the array was full, and
	 * once sorted, the merge: each run's next entry in heads (the array's,
	 * the last run, at heads[nruns]) and a heap of the runs that have one.
	 */
	BufFile   **runs;
	int			nruns;
	int			maxruns;
	LearnedSortEntry *heads;
	binaryheap *merge;
	LearnedSortEntry current;	/* the entry the merge returned last */

	/*
	 * Once the budget is exceeded: a tuplesort holding every entry.  A run
	 * sort's are (key int8 or NULL, tid, alive bool).
	 */
	Tuplesortstate *tuplesort;
	TupleTableSlot *slot;		/* (key int8, tid) or (key, tid, alive) */
	bool		run;			/* a parallel build participant's sort */
	Size		nnulls;			/* run sort in memory: entries of NULL keys */

	/*
	 * A parallel worker's runs go to the build's shared file set, named by
	 * worker and number, for the leader to merge (learned_sort_share_runs).
	 */
	SharedFileSet *fileset;
	int			worker;
	int			nfiles;			/* run files named so far */
	bool		presorted;		/* the array is sorted (learned_sort_presort) */
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

/*
 * The rows the table had when last vacuumed or analyzed, the expected
 * entries of its sort; 0 if never counted.
 */
double
learned_estimated_rows(Relation heap)
{
	return heap->rd_rel->reltuples > 0 ? heap->rd_rel->reltuples : 0;
}

/*
 * A sort within work_mem_kb, of about expected entries (the table's
 * estimated rows, or 0 if unknown): the array starts that large, within
 * the budget, rather than growing to it by copies.  Memory allocated but
 * not yet filled costs nothing until touched, so an estimate too large
 * wastes little.
 */
LearnedSort *
learned_sort_begin(int work_mem_kb, double expected)
{
	LearnedSort *sort = palloc0(sizeof(LearnedSort));

	sort->budget = (Size) work_mem_kb * 1024;
	/* The array and the radix sort's scratch copy of it. */
	sort->capacity = Min(sort->budget / (2 * sizeof(LearnedSortEntry)),
						 LEARNED_SORT_RUN_MAX);
	sort->capacity = Max(sort->capacity, 2);
	sort->allocated = LEARNED_SORT_INITIAL;
	if (expected > sort->allocated)
		sort->allocated = expected >= (double) sort->capacity ?
			sort->capacity : (Size) expected;
	sort->allocated = Min(sort->allocated, sort->capacity);
	sort->entries = palloc_extended(sort->allocated * sizeof(LearnedSortEntry),
									MCXT_ALLOC_HUGE);
	sort->maxruns = Max(2, sort->budget / LEARNED_SORT_BYTES_PER_RUN);
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

/*
 * Read the next entry of a run file into entry; false at its end.  Also
 * the parallel build's reader of its workers' run files.
 */
bool
learned_read_entry(BufFile *file, void *entry, size_t size)
{
#if PG_VERSION_NUM >= 160000
	/* 0 at the end of the file; a partial entry is an error. */
	return BufFileReadMaybeEOF(file, entry, size, true) != 0;
#else
	size_t		nread = BufFileRead(file, entry, size);

	/*
	 * The runs are written in whole entries: a partial one means the
	 * temporary file was cut short underneath the build.
	 */
	if (nread != 0 && nread != size)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read from a temporary file of CREATE INDEX's sort: read only %zu of %zu bytes",
						nread, size)));
	return nread != 0;
#endif
}

/*
 * Move every entry into a tuplesort, those of the runs written so far
 * too: there would be more runs than the budget allows.
 */
static void
learned_sort_spill(LearnedSort *sort)
{
	LearnedSortEntry entry;

	learned_sort_begin_tuplesort(sort);
	for (Size i = 0; i < sort->nentries; i++)
		learned_sort_put_tuple(sort, &sort->entries[i]);
	pfree(sort->entries);
	sort->entries = NULL;
	sort->nentries = sort->allocated = 0;
	if (sort->scratch != NULL)
		pfree(sort->scratch);
	sort->scratch = NULL;

	for (int i = 0; i < sort->nruns; i++)
	{
		if (BufFileSeek(sort->runs[i], 0, 0, SEEK_SET) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not rewind a temporary file of CREATE INDEX's sort: %m")));
		while (learned_read_entry(sort->runs[i], &entry, sizeof(entry)))
		{
			learned_sort_put_tuple(sort, &entry);
			CHECK_FOR_INTERRUPTS();
		}
		BufFileClose(sort->runs[i]);
	}
	sort->nruns = 0;
}

/*
 * A parallel build participant's sort: its entries may have NULL keys, and
 * say whether their tuple is alive.
 */
LearnedSort *
learned_sort_begin_run(int work_mem_kb, double expected)
{
	LearnedSort *sort = learned_sort_begin(work_mem_kb, expected);

	sort->run = true;
	return sort;
}

/*
 * The histograms of the digits below ndigits of entries[0..n), in one pass,
 * added to counts.
 */
static void
learned_radix_histogram(const LearnedSortEntry *entries, Size n, Size *counts,
						int ndigits)
{
	for (Size i = 0; i < n; i++)
	{
		uint64		k = learned_sort_ordered_key(entries[i].key);

		for (int digit = 0; digit < ndigits; digit++)
			counts[digit * LEARNED_RADIX_BUCKETS +
				   ((k >> (digit * LEARNED_RADIX_BITS)) & (LEARNED_RADIX_BUCKETS - 1))]++;
	}
}

/*
 * Turn a digit's histogram of n entries into the first position of each
 * bucket; false if every entry falls in one bucket (the digit orders
 * nothing).
 */
static bool
learned_radix_offsets(Size *count, Size n)
{
	Size		offset = 0;
	bool		shared = false;

	for (int bucket = 0; bucket < LEARNED_RADIX_BUCKETS; bucket++)
	{
		Size		c = count[bucket];

		if (c == n)
			shared = true;
		count[bucket] = offset;
		offset += c;
	}
	return !shared;
}

/* Move src[0..n) to dst, stably, by the digit at shift; count: its offsets. */
static void
learned_radix_scatter(const LearnedSortEntry *src, LearnedSortEntry *dst,
					  Size n, Size *count, int shift)
{
	for (Size i = 0; i < n; i++)
	{
		uint64		k = learned_sort_ordered_key(src[i].key);
		int			b = (k >> shift) & (LEARNED_RADIX_BUCKETS - 1);

		dst[count[b]++] = src[i];
	}
}

/*
 * LSD radix sort of entries[0..n) by the digits below ndigits, stable;
 * counts holds their histograms and scratch has room for n entries.
 * Returns the array that holds the result (entries or scratch).
 */
static LearnedSortEntry *
learned_radix_lsd(LearnedSortEntry *entries, LearnedSortEntry *scratch,
				  Size n, Size *counts, int ndigits)
{
	LearnedSortEntry *src = entries;
	LearnedSortEntry *dst = scratch;

	for (int digit = 0; digit < ndigits; digit++)
	{
		LearnedSortEntry *swap;

		if (!learned_radix_offsets(counts + digit * LEARNED_RADIX_BUCKETS, n))
			continue;
		CHECK_FOR_INTERRUPTS();
		learned_radix_scatter(src, dst, n, counts + digit * LEARNED_RADIX_BUCKETS,
							  digit * LEARNED_RADIX_BITS);
		swap = src;
		src = dst;
		dst = swap;
	}
	return src;
}

/*
 * Radix sort of entries[0..n) by key; scratch has room for n entries.
 * Returns the array that holds the result (entries or scratch).
 *
 * A large array is first split by its highest digit that varies (most
 * significant digit first), and each bucket is then sorted on its own by
 * the digits below, least significant first: a bucket's passes stay within
 * a few hundred kB, which the CPU's caches hold, where passes over the
 * whole array would spread every pass's writes over all of it.  A bucket
 * too small to repay clearing its histograms is sorted by comparison, on
 * the key and then the TID (so it comes out as the stable sort would).
 */
static LearnedSortEntry *
learned_radix_sort(LearnedSortEntry *entries, LearnedSortEntry *scratch,
				   Size n)
{
	Size	   *counts;
	Size	   *first;
	LearnedSortEntry *sorted;
	int			top;

	counts = palloc0(LEARNED_RADIX_DIGITS * LEARNED_RADIX_BUCKETS * sizeof(Size));
	learned_radix_histogram(entries, n, counts, LEARNED_RADIX_DIGITS);
	if (n < LEARNED_RADIX_MSD_MIN)
	{
		sorted = learned_radix_lsd(entries, scratch, n, counts,
								   LEARNED_RADIX_DIGITS);
		pfree(counts);
		return sorted;
	}

	/* The highest digit that varies; none: every key is equal. */
	for (top = LEARNED_RADIX_DIGITS - 1; top >= 0; top--)
	{
		Size	   *count = counts + top * LEARNED_RADIX_BUCKETS;
		int			bucket;

		for (bucket = 0; bucket < LEARNED_RADIX_BUCKETS; bucket++)
			if (count[bucket] != 0)
				break;
		if (count[bucket] != n)
			break;
	}
	if (top < 0)
	{
		pfree(counts);
		return entries;
	}

	/* Split by it into scratch, keeping where each bucket starts. */
	first = palloc((LEARNED_RADIX_BUCKETS + 1) * sizeof(Size));
	(void) learned_radix_offsets(counts + top * LEARNED_RADIX_BUCKETS, n);
	memcpy(first, counts + top * LEARNED_RADIX_BUCKETS,
		   LEARNED_RADIX_BUCKETS * sizeof(Size));
	first[LEARNED_RADIX_BUCKETS] = n;
	CHECK_FOR_INTERRUPTS();
	learned_radix_scatter(entries, scratch, n,
						  counts + top * LEARNED_RADIX_BUCKETS,
						  top * LEARNED_RADIX_BITS);

	/* Each bucket by the digits below, the other array its scratch. */
	for (int bucket = 0; bucket < LEARNED_RADIX_BUCKETS; bucket++)
	{
		Size		start = first[bucket];
		Size		c = first[bucket + 1] - start;

		if (c < 2)
			continue;
		if (c < LEARNED_RADIX_SMALL)
		{
			qsort(scratch + start, c, sizeof(LearnedSortEntry),
				  learned_sort_entry_cmp);
			continue;
		}
		memset(counts, 0, top * LEARNED_RADIX_BUCKETS * sizeof(Size));
		learned_radix_histogram(scratch + start, c, counts, top);
		sorted = learned_radix_lsd(scratch + start, entries + start, c,
								   counts, top);
		if (sorted != scratch + start)
			memcpy(scratch + start, sorted, c * sizeof(LearnedSortEntry));
	}
	pfree(first);
	pfree(counts);
	return scratch;
}

/*
 * Sort the array: NULL keys first (a run sort's), then the keys by the
 * radix sort, then runs of equal keys (the NULLs are one) into TID order
 * where the scan left them out of it.  The sorted entries may end up in
 * the scratch array, which then swaps places with the array.  A full
 * array keeps its scratch for the next run (keep_scratch): allocating it
 * anew would touch fresh memory again, page by page.
 */
static void
learned_sort_array(LearnedSort *sort, bool keep_scratch)
{
	LearnedSortEntry *scratch;
	LearnedSortEntry *sorted;
	Size		n = sort->nentries;
	Size		start;

	if (n < 2)
		return;

	/*
	 * A table whose rows were written in key order (appended timestamps or
	 * ids, the common case) delivers its entries sorted: one pass tells.
	 */
	if (sort->nnulls == 0)
	{
		Size		i;

		for (i = 1; i < n; i++)
			if (learned_sort_entry_cmp(&sort->entries[i - 1],
									   &sort->entries[i]) > 0)
				break;
		if (i == n)
			return;
	}

	if (sort->scratch != NULL)
		scratch = sort->scratch;
	else
		scratch = palloc_extended(sort->allocated * sizeof(LearnedSortEntry),
								  MCXT_ALLOC_HUGE);
	sort->scratch = NULL;
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
		LearnedSortEntry *swap = sort->entries;

		memcpy(scratch, sort->entries, sort->nnulls * sizeof(LearnedSortEntry));
		sort->entries = scratch;
		scratch = swap;
	}
	if (keep_scratch)
		sort->scratch = scratch;
	else
		pfree(scratch);

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

/* The name of a worker's run file number in the build's shared file set. */
static void
learned_sort_run_name(char *name, int worker, int number)
{
	snprintf(name, MAXPGPATH, "learned_run_%d_%d", worker, number);
}

/* A new file for a sorted run: temporary, or in the shared file set. */
static BufFile *
learned_sort_new_run_file(LearnedSort *sort)
{
	char		name[MAXPGPATH];

	if (sort->fileset == NULL)
	{
		PrepareTempTablespaces();
		return BufFileCreateTemp(false);
	}
	learned_sort_run_name(name, sort->worker, sort->nfiles++);
	return BufFileCreateFileSet(&sort->fileset->fs, name);
}

/*
 * The array is full: sort it and write it to a temporary file, a run to
 * merge at the end, and start filling it again.
 */
static void
learned_sort_write_run(LearnedSort *sort)
{
	BufFile    *file;

	Assert(sort->nentries == sort->capacity);
	learned_sort_array(sort, true);
	if (sort->runs == NULL)
		sort->runs = palloc(sort->maxruns * sizeof(BufFile *));
	file = learned_sort_new_run_file(sort);
	BufFileWrite(file, sort->entries, sort->nentries * sizeof(LearnedSortEntry));
	sort->runs[sort->nruns++] = file;
	sort->nentries = 0;
	sort->nnulls = 0;
}

static void
learned_sort_put_entry(LearnedSort *sort, const LearnedSortEntry *entry)
{
	if (sort->tuplesort == NULL && sort->nentries == sort->allocated)
	{
		if (sort->allocated < sort->capacity)
		{
			Size		grown = Min(sort->allocated * 2, sort->capacity);

			sort->entries = repalloc_huge(sort->entries,
										  grown * sizeof(LearnedSortEntry));
			sort->allocated = grown;
		}
		else if (sort->nruns < sort->maxruns)
			learned_sort_write_run(sort);
		else
			learned_sort_spill(sort);
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
 * The merge's order of two runs' next entries (numbers of runs): NULL keys
 * first, then (key, TID).  The heap keeps its largest on top, so the
 * order is reversed.
 */
static int
learned_sort_merge_cmp(Datum a, Datum b, void *arg)
{
	LearnedSort *sort = (LearnedSort *) arg;
	const LearnedSortEntry *ea = &sort->heads[DatumGetInt32(a)];
	const LearnedSortEntry *eb = &sort->heads[DatumGetInt32(b)];
	bool		anull = (ea->flags & LEARNED_SORT_NULL) != 0;
	bool		bnull = (eb->flags & LEARNED_SORT_NULL) != 0;

	if (anull != bnull)
		return anull ? 1 : -1;
	return -learned_entry_cmp(ea->key, &ea->tid, eb->key, &eb->tid);
}

/* Read run number's next entry into heads; false at its end. */
static bool
learned_sort_read_head(LearnedSort *sort, int run)
{
	if (run == sort->nruns)
	{
		if (sort->next >= sort->nentries)
			return false;
		sort->heads[run] = sort->entries[sort->next++];
		return true;
	}
	return learned_read_entry(sort->runs[run], &sort->heads[run],
							  sizeof(LearnedSortEntry));
}

void
learned_sort_perform(LearnedSort *sort)
{
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
	{
		if (sort->nruns > 0)
			ereport(DEBUG1,
					(errmsg_internal("learned index build: sorted runs written past maintenance_work_mem: %d of " UINT64_FORMAT " entries each, merged with " UINT64_FORMAT " entries in memory",
									 sort->nruns, (uint64) sort->capacity,
									 (uint64) sort->nentries)));
		else
			elog(DEBUG1, "learned index build: radix-sorting " UINT64_FORMAT " entries in memory",
				 (uint64) sort->nentries);
	}
	if (!sort->presorted)
		learned_sort_array(sort, false);
	if (sort->nruns == 0)
		return;

	/* The runs and the array, the last run, merged. */
	sort->heads = palloc((sort->nruns + 1) * sizeof(LearnedSortEntry));
	sort->merge = binaryheap_allocate(sort->nruns + 1, learned_sort_merge_cmp,
									  sort);
	for (int i = 0; i <= sort->nruns; i++)
	{
		if (i < sort->nruns &&
			BufFileSeek(sort->runs[i], 0, 0, SEEK_SET) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not rewind a temporary file of CREATE INDEX's sort: %m")));
		if (learned_sort_read_head(sort, i))
			binaryheap_add_unordered(sort->merge, Int32GetDatum(i));
	}
	binaryheap_build(sort->merge);
}

/* The next entry in order, after learned_sort_perform; NULL at the end. */
static const LearnedSortEntry *
learned_sort_next_entry(LearnedSort *sort)
{
	int			run;

	if (sort->merge == NULL)
	{
		if (sort->next >= sort->nentries)
			return NULL;
		return &sort->entries[sort->next++];
	}
	if (binaryheap_empty(sort->merge))
		return NULL;
	run = DatumGetInt32(binaryheap_first(sort->merge));
	sort->current = sort->heads[run];
	if (learned_sort_read_head(sort, run))
		binaryheap_replace_first(sort->merge, Int32GetDatum(run));
	else
		(void) binaryheap_remove_first(sort->merge);
	return &sort->current;
}

bool
learned_sort_next(LearnedSort *sort, int64 *key, ItemPointerData *tid)
{
	const LearnedSortEntry *entry;

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
	entry = learned_sort_next_entry(sort);
	if (entry == NULL)
		return false;
	*key = entry->key;
	*tid = entry->tid;
	return true;
}

/* The next entry of a run sort, after learned_sort_perform; false at the end. */
bool
learned_sort_next_run(LearnedSort *sort, int64 *key, bool *isnull,
					  ItemPointerData *tid, bool *alive)
{
	const LearnedSortEntry *entry;

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
	entry = learned_sort_next_entry(sort);
	if (entry == NULL)
		return false;
	*key = entry->key;
	*isnull = (entry->flags & LEARNED_SORT_NULL) != 0;
	*tid = entry->tid;
	*alive = (entry->flags & LEARNED_SORT_ALIVE) != 0;
	return true;
}

/*
 * Make a parallel worker's run sort write its runs to the build's shared
 * file set, as worker's, rather than to temporary files of its own.
 */
void
learned_sort_share_runs(LearnedSort *sort, SharedFileSet *fileset, int worker)
{
	Assert(sort->run && sort->nruns == 0);
	sort->fileset = fileset;
	sort->worker = worker;
}

/*
 * A worker's sort is complete: write what is still in memory as one more
 * sorted run (or, past the runs the budget allows, the tuplesort's output
 * as the only one) and close the run files, which stay in the shared file
 * set for the leader.  Returns how many runs there are, numbered from
 * *first.  The leader merges every participant's runs at once
 * (learned_sort_add_worker_runs): no pass of a worker merges its own.
 */
int
learned_sort_share_end(LearnedSort *sort, int *first)
{
	int			nruns;

	Assert(sort->run && sort->fileset != NULL);
	if (sort->tuplesort != NULL)
	{
		BufFile    *file;
		LearnedSortEntry entry;
		bool		isnull;
		bool		alive;

		tuplesort_performsort(sort->tuplesort);
		*first = sort->nfiles;
		file = learned_sort_new_run_file(sort);
		memset(&entry, 0, sizeof(entry));	/* no stray padding bytes */
		while (learned_sort_next_run(sort, &entry.key, &isnull, &entry.tid,
									 &alive))
		{
			entry.flags = (isnull ? LEARNED_SORT_NULL : 0) |
				(alive ? LEARNED_SORT_ALIVE : 0);
			BufFileWrite(file, &entry, sizeof(entry));
		}
		BufFileClose(file);
		return 1;
	}

	learned_sort_array(sort, false);
	*first = 0;
	nruns = sort->nruns;
	for (int i = 0; i < sort->nruns; i++)
		BufFileClose(sort->runs[i]);
	sort->nruns = 0;
	if (sort->nentries > 0)
	{
		BufFile    *file = learned_sort_new_run_file(sort);

		BufFileWrite(file, sort->entries,
					 sort->nentries * sizeof(LearnedSortEntry));
		BufFileClose(file);
		nruns++;
	}
	Assert(nruns == sort->nfiles);
	return nruns;
}

/*
 * A parallel build's leader: sort what its array holds now, while the
 * workers are still sorting theirs, so that learned_sort_perform, once
 * their runs are added, only has to merge.
 */
void
learned_sort_presort(LearnedSort *sort)
{
	Assert(sort->run);
	if (sort->tuplesort == NULL)
	{
		learned_sort_array(sort, false);
		sort->presorted = true;
	}
}

/*
 * Add a worker's runs (learned_sort_share_end: count files from first in
 * fileset) to the leader's run sort, before learned_sort_perform: they
 * are merged with the leader's own runs in one heap, or, where the leader
 * went past its budget to a tuplesort, fed to that.  The sort closes the
 * files at its end.
 */
void
learned_sort_add_worker_runs(LearnedSort *sort, SharedFileSet *fileset,
							 int worker, int first, int count)
{
	Assert(sort->run && sort->merge == NULL);
	if (count <= 0)
		return;
	if (sort->tuplesort == NULL)
		sort->runs = sort->runs == NULL ?
			palloc(count * sizeof(BufFile *)) :
			repalloc(sort->runs, (sort->nruns + count) * sizeof(BufFile *));
	for (int i = 0; i < count; i++)
	{
		char		name[MAXPGPATH];
		BufFile    *file;
		LearnedSortEntry entry;

		learned_sort_run_name(name, worker, first + i);
		file = BufFileOpenFileSet(&fileset->fs, name, O_RDONLY, false);
		if (sort->tuplesort == NULL)
		{
			sort->runs[sort->nruns++] = file;
			continue;
		}
		while (learned_read_entry(file, &entry, sizeof(entry)))
		{
			learned_sort_put_tuple(sort, &entry);
			CHECK_FOR_INTERRUPTS();
		}
		BufFileClose(file);
	}
}

void
learned_sort_end(LearnedSort *sort)
{
	if (sort->tuplesort != NULL)
	{
		tuplesort_end(sort->tuplesort);
		ExecDropSingleTupleTableSlot(sort->slot);
	}
	for (int i = 0; i < sort->nruns; i++)
		BufFileClose(sort->runs[i]);
	if (sort->runs != NULL)
		pfree(sort->runs);
	if (sort->merge != NULL)
		binaryheap_free(sort->merge);
	if (sort->heads != NULL)
		pfree(sort->heads);
	if (sort->entries != NULL)
		pfree(sort->entries);
	if (sort->scratch != NULL)
		pfree(sort->scratch);
	pfree(sort);
}
