/*-------------------------------------------------------------------------
 *
 * learned_parallel_scan.c
 *	  The shared state of a parallel index or index-only scan.
 *
 * The participants (the leader and its workers) of a parallel scan share
 * one scan position (learned.h: the phase, the key interval and the next
 * page to read) in the parallel scan descriptor's dynamic shared memory.
 * A participant whose page of entries is used up seizes the position,
 * reads the page it names under a share lock, publishes the position after
 * that page (its sibling link in scan direction, read under the same lock,
 * or the start of the next interval or chain) and releases it; then, still
 * under the page's lock, it copies the page's matching entries and returns
 * them while the others advance.  Only one participant at a time holds the
 * position, so each page of each interval is read by exactly one of them
 * (README, "Parallel scans", says why that returns every entry once).
 * nbtree's parallel scans work the same way.
 *
 * The position is held only while reading one page, never while entries
 * are returned, so a participant that stops early (a LIMIT above the
 * Gather) cannot stall the others.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"

#include "learned.h"

typedef struct LearnedParallelScanData
{
	slock_t		mutex;			/* protects the two fields below */
	bool		advancing;		/* a participant holds the position */
	LearnedScanPosition position;	/* where the scan goes next */
	ConditionVariable cv;		/* signalled when the position is released */
} LearnedParallelScanData;

typedef LearnedParallelScanData *LearnedParallelScan;

/* The access method's part of the parallel scan descriptor. */
static LearnedParallelScan
learned_parallel_state(IndexScanDesc scan)
{
	ParallelIndexScanDesc parallel_scan = scan->parallel_scan;

	Assert(parallel_scan != NULL);
#if PG_VERSION_NUM >= 180000
	return (LearnedParallelScan) OffsetToPointer(parallel_scan,
												 parallel_scan->ps_offset_am);
#else
	return (LearnedParallelScan) OffsetToPointer(parallel_scan,
												 parallel_scan->ps_offset);
#endif
}

static void
learned_parallel_reset(LearnedParallelScan shared)
{
	shared->advancing = false;
	shared->position.phase = LEARNED_SCAN_START;
	shared->position.interval = 0;
	shared->position.block = InvalidBlockNumber;
	shared->position.from_block = InvalidBlockNumber;
}

/* The callback's signature changed in PostgreSQL 17 and again in 18. */
#if PG_VERSION_NUM >= 180000
Size
learned_estimateparallelscan(Relation index, int nkeys, int norderbys)
#elif PG_VERSION_NUM >= 170000
Size
learned_estimateparallelscan(int nkeys, int norderbys)
#else
Size
learned_estimateparallelscan(void)
#endif
{
	/*
	 * The key intervals are not shared: every participant derives the same
	 * ones from the same scan keys, so the position only names one.
	 */
	return sizeof(LearnedParallelScanData);
}

void
learned_initparallelscan(void *target)
{
	LearnedParallelScan shared = (LearnedParallelScan) target;

	SpinLockInit(&shared->mutex);
	learned_parallel_reset(shared);
	ConditionVariableInit(&shared->cv);
}

/*
 * The leader restarts a parallel scan (a rescan of the plan node above
 * it); no worker runs at this point, the lock is for form's sake.
 */
void
learned_parallelrescan(IndexScanDesc scan)
{
	LearnedParallelScan shared = learned_parallel_state(scan);

	SpinLockAcquire(&shared->mutex);
	learned_parallel_reset(shared);
	SpinLockRelease(&shared->mutex);
}

/*
 * Take the scan position, waiting while another participant holds it.
 * Returns false once the scan is done; otherwise the caller must call
 * learned_parallel_release, with the position after the page it reads,
 * before it does anything else that may wait or return to the executor.
 */
bool
learned_parallel_seize(IndexScanDesc scan, LearnedScanPosition *position)
{
	LearnedParallelScan shared = learned_parallel_state(scan);
	bool		seized = false;
	bool		done = false;

	for (;;)
	{
		SpinLockAcquire(&shared->mutex);
		if (shared->position.phase == LEARNED_SCAN_DONE)
			done = true;
		else if (!shared->advancing)
		{
			shared->advancing = true;
			*position = shared->position;
			seized = true;
		}
		SpinLockRelease(&shared->mutex);
		if (seized || done)
			break;
		ConditionVariableSleep(&shared->cv, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return seized;
}

/*
 * Publish where the scan goes next and let the next participant take it.
 * The end of the scan wakes every participant, so that all of them leave.
 */
void
learned_parallel_release(IndexScanDesc scan, const LearnedScanPosition *next)
{
	LearnedParallelScan shared = learned_parallel_state(scan);

	SpinLockAcquire(&shared->mutex);
	Assert(shared->advancing);
	shared->position = *next;
	shared->advancing = false;
	SpinLockRelease(&shared->mutex);

	if (next->phase == LEARNED_SCAN_DONE)
		ConditionVariableBroadcast(&shared->cv);
	else
		ConditionVariableSignal(&shared->cv);
}
