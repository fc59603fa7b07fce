/*-------------------------------------------------------------------------
 *
 * learned_parallel_build.c
 *	  Parallel CREATE INDEX: the table scan and the sort shared by the
 *	  leader and parallel workers, as nbtsort.c shares btree's.
 *
 * The server plans the workers (plan_create_index_workers, from
 * max_parallel_maintenance_workers and the table's parallel_workers) and
 * passes their number in ii_ParallelWorkers; it does so for an access
 * method with amcanbuildparallel, which PostgreSQL 17 added.  On 15 and 16
 * the number is always 0 and every build is serial.
 *
 * The leader launches the workers and then takes part as one of them.  Each
 * participant scans its share of the table (a parallel table scan) and puts
 * every entry, NULL keys and recently dead tuples included, into a run sort
 * of its own (learned_sort_begin_run): the serial build's radix sort, in
 * maintenance_work_mem divided among the participants, writing sorted runs
 * past it (or spilling to a tuplesort).  A worker's runs, the last one
 * what it still holds in memory, are files of the shared file set in the
 * parallel context's DSM segment (learned_sort_share_runs); the leader
 * keeps its own sort.  The leader waits until every participant has sorted
 * its runs, adds the workers' runs to its own sort, which merges all of
 * them at once in (key, TID) order (NULL keys first: the serial sort's
 * binary heap of the runs' next entries; no worker merges its own runs
 * first), and hands the merged stream to the same code as a serial build: the NULL chain, the leaves, the model, so the index is the one a
 * serial build writes.  A unique index's duplicates,
 * found by two participants or one, meet in that merge (learned_unique.c).
 *
 * Why not the server's shared tuplesort: README, "Parallel build".  The
 * run files are removed with the DSM segment, also when the build fails or
 * is cancelled.
 *
 * Errors raised in a worker reach the leader through the parallel context
 * and abort its transaction, which stops the other workers; the leader's
 * waits are interruptible (ConditionVariableSleep).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/buffile.h"
#include "storage/condition_variable.h"
#include "storage/sharedfileset.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "learned.h"

/* Keys of the parallel context's table of contents. */
#define LEARNED_PARALLEL_KEY_SHARED			UINT64CONST(0x4C45415200000001)
#define LEARNED_PARALLEL_KEY_QUERY_TEXT		UINT64CONST(0x4C45415200000003)
#define LEARNED_PARALLEL_KEY_WAL_USAGE		UINT64CONST(0x4C45415200000004)
#define LEARNED_PARALLEL_KEY_BUFFER_USAGE	UINT64CONST(0x4C45415200000005)
#define LEARNED_PARALLEL_KEY_RUNS			UINT64CONST(0x4C45415200000006)

/* Where a worker's sorted runs are: files first .. first + count - 1. */
typedef struct LearnedWorkerRuns
{
	int			first;
	int			count;
} LearnedWorkerRuns;

/* What the leader and the workers share, followed by the table scan's. */
typedef struct LearnedParallelShared
{
	/* Set by the leader before the launch, then read only. */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	int			nsorts;			/* participants planned: workers + leader */
	SharedFileSet fileset;		/* the workers' runs */
	uint64		queryid;

	/* Each participant adds its figures once it has sorted its run. */
	ConditionVariable workersdonecv;
	slock_t		mutex;
	int			nparticipantsdone;
	double		indtuples;		/* heap tuples indexed, NULL keys or not */
	uint64		nkeys;			/* of them, non-NULL keys */
	bool		brokenhotchain;

	/* ParallelTableScanDescData follows, at a BUFFERALIGN'ed offset */
} LearnedParallelShared;

#define LearnedParallelTableScan(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + \
							  BUFFERALIGN(sizeof(LearnedParallelShared))))

struct LearnedParallelBuild
{
	ParallelContext *pcxt;
	int			nparticipants;	/* workers launched + the leader */
	LearnedParallelShared *shared;
	Snapshot	snapshot;
	WalUsage   *walusage;
	BufferUsage *bufferusage;
	LearnedWorkerRuns *workerruns;	/* in the DSM segment, per worker */
	LearnedSort *leadersort;	/* the leader's, merging every run at the end */
};

/* The table scan callback of one participant. */
typedef struct LearnedParallelScanState
{
	LearnedSort *sort;
	Oid			keytype;
	double		indtuples;
	uint64		nkeys;
} LearnedParallelScanState;

static void
learned_build_parallel_callback(Relation index, ItemPointer tid, Datum *values,
								bool *isnull, bool tupleIsAlive, void *opaque)
{
	LearnedParallelScanState *state = (LearnedParallelScanState *) opaque;

	if (isnull[0])
		learned_sort_put_run(state->sort, 0, true, tid, tupleIsAlive);
	else
	{
		learned_sort_put_run(state->sort,
							 learned_datum_to_key(values[0], state->keytype),
							 false, tid, tupleIsAlive);
		state->nkeys++;
	}
	state->indtuples += 1;
}

/*
 * One participant's share: join the parallel table scan, sort what it
 * delivers into this participant's run, write a worker's run to its file
 * (worker: its ParallelWorkerNumber; -1 for the leader, whose run is
 * returned, in memory), and report to the leader.
 */
static LearnedSort *
learned_build_parallel_scan_and_sort(LearnedParallelShared *shared,
									 LearnedWorkerRuns *workerruns,
									 int worker, Relation heap,
									 Relation index, int sortmem, bool progress)
{
	LearnedParallelScanState state;
	IndexInfo  *indexInfo;
	TableScanDesc scan;

	/* Each participant's share of the rows, as far as it can be known. */
	state.sort = learned_sort_begin_run(sortmem,
										learned_estimated_rows(heap) / shared->nsorts);
	if (worker >= 0)
		learned_sort_share_runs(state.sort, &shared->fileset, worker);
	state.keytype = learned_index_keytype(index);
	state.indtuples = 0;
	state.nkeys = 0;

	indexInfo = BuildIndexInfo(index);
	indexInfo->ii_Concurrent = shared->isconcurrent;
	scan = table_beginscan_parallel(heap, LearnedParallelTableScan(shared));
	table_index_build_scan(heap, index, indexInfo, true, progress,
						   learned_build_parallel_callback, (void *) &state, scan);

	if (progress)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
									 LEARNED_PHASE_SORT);
	if (worker >= 0)
	{
		/* Read by the leader once every participant has reported. */
		workerruns[worker].count =
			learned_sort_share_end(state.sort, &workerruns[worker].first);
		learned_sort_end(state.sort);
		state.sort = NULL;
	}
	else
		learned_sort_presort(state.sort);

	SpinLockAcquire(&shared->mutex);
	shared->nparticipantsdone++;
	shared->indtuples += state.indtuples;
	shared->nkeys += state.nkeys;
	if (indexInfo->ii_BrokenHotChain)
		shared->brokenhotchain = true;
	SpinLockRelease(&shared->mutex);
	ConditionVariableSignal(&shared->workersdonecv);

	return state.sort;
}

/*
 * Launch up to nworkers workers for the build of index on heap.  Returns
 * NULL when none could be launched (no DSM segment, no free background
 * worker): the caller builds serially then.
 */
LearnedParallelBuild *
learned_build_parallel_begin(Relation heap, Relation index, bool isconcurrent,
							 int nworkers)
{
	LearnedParallelBuild *leader;
	ParallelContext *pcxt;
	Snapshot	snapshot;
	Size		estshared;
	LearnedParallelShared *shared;
	int			nsorts = nworkers + 1;	/* the leader sorts a run too */
	WalUsage   *walusage;
	BufferUsage *bufferusage;
	LearnedWorkerRuns *workerruns;
	int			querylen;

	Assert(nworkers > 0);
	EnterParallelMode();
	pcxt = CreateParallelContext("learned_am", "learned_parallel_build_main",
								 nworkers);

	/*
	 * A plain build sees every tuple (SnapshotAny: recently dead ones are
	 * indexed too); CONCURRENTLY, the snapshot of its first phase, as the
	 * serial scan's.
	 */
	snapshot = isconcurrent ? RegisterSnapshot(GetTransactionSnapshot()) :
		SnapshotAny;

	estshared = add_size(BUFFERALIGN(sizeof(LearnedParallelShared)),
						 table_parallelscan_estimate(heap, snapshot));
	shm_toc_estimate_chunk(&pcxt->estimator, estshared);
	shm_toc_estimate_chunk(&pcxt->estimator,
						   mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator,
						   mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator,
						   mul_size(sizeof(LearnedWorkerRuns), pcxt->nworkers));
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	querylen = debug_query_string ? strlen(debug_query_string) : 0;
	if (debug_query_string)
	{
		shm_toc_estimate_chunk(&pcxt->estimator, querylen + 1);
		shm_toc_estimate_keys(&pcxt->estimator, 1);
	}

	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		if (IsMVCCSnapshot(snapshot))
			UnregisterSnapshot(snapshot);
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return NULL;
	}

	shared = shm_toc_allocate(pcxt->toc, estshared);
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->isconcurrent = isconcurrent;
	shared->nsorts = nsorts;
	shared->queryid = pgstat_get_my_query_id();
	ConditionVariableInit(&shared->workersdonecv);
	SpinLockInit(&shared->mutex);
	shared->nparticipantsdone = 0;
	shared->indtuples = 0;
	shared->nkeys = 0;
	shared->brokenhotchain = false;
	SharedFileSetInit(&shared->fileset, pcxt->seg);
	table_parallelscan_initialize(heap, LearnedParallelTableScan(shared),
								  snapshot);
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_SHARED, shared);

	if (debug_query_string)
	{
		char	   *query = shm_toc_allocate(pcxt->toc, querylen + 1);

		memcpy(query, debug_query_string, querylen + 1);
		shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_QUERY_TEXT, query);
	}

	/* Each worker's WAL and buffer usage, added to the leader's at the end. */
	walusage = shm_toc_allocate(pcxt->toc,
								mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_WAL_USAGE, walusage);
	bufferusage = shm_toc_allocate(pcxt->toc,
								   mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_BUFFER_USAGE, bufferusage);
	workerruns = shm_toc_allocate(pcxt->toc,
								  mul_size(sizeof(LearnedWorkerRuns), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_RUNS, workerruns);

	LaunchParallelWorkers(pcxt);

	leader = palloc0(sizeof(LearnedParallelBuild));
	leader->pcxt = pcxt;
	leader->nparticipants = pcxt->nworkers_launched + 1;
	leader->shared = shared;
	leader->snapshot = snapshot;
	leader->walusage = walusage;
	leader->bufferusage = bufferusage;
	leader->workerruns = workerruns;

	ereport(DEBUG1,
			(errmsg_internal("learned index build: %d of %d parallel workers launched",
							 pcxt->nworkers_launched, nworkers)));

	if (pcxt->nworkers_launched == 0)
	{
		learned_build_parallel_end(leader);
		return NULL;
	}

	/* A worker that fails to start must not leave the leader waiting. */
	WaitForParallelWorkersToAttach(pcxt);
	return leader;
}

/*
 * The leader's share of the scan and sort, then wait until every
 * participant has sorted its runs and open them all for one merge
 * (learned_build_parallel_next).  Returns the heap tuples indexed and the
 * non-NULL keys among them, of all participants.
 */
void
learned_build_parallel_sort(LearnedParallelBuild *leader, Relation heap,
							Relation index, IndexInfo *indexInfo,
							double *indtuples, uint64 *nkeys)
{
	LearnedParallelShared *shared = leader->shared;
	int			nworkers = leader->nparticipants - 1;

	leader->leadersort =
		learned_build_parallel_scan_and_sort(shared, NULL, -1, heap, index,
											 maintenance_work_mem / leader->nparticipants,
											 true);

	for (;;)
	{
		SpinLockAcquire(&shared->mutex);
		if (shared->nparticipantsdone == leader->nparticipants)
		{
			*indtuples = shared->indtuples;
			*nkeys = shared->nkeys;
			if (shared->brokenhotchain)
				indexInfo->ii_BrokenHotChain = true;
			SpinLockRelease(&shared->mutex);
			break;
		}
		SpinLockRelease(&shared->mutex);
		ConditionVariableSleep(&shared->workersdonecv,
							   WAIT_EVENT_PARALLEL_CREATE_INDEX_SCAN);
	}
	ConditionVariableCancelSleep();

	/* Every worker's runs (numbered from 0) join the leader's merge. */
	for (int w = 0; w < nworkers; w++)
		learned_sort_add_worker_runs(leader->leadersort, &shared->fileset, w,
									 leader->workerruns[w].first,
									 leader->workerruns[w].count);
	learned_sort_perform(leader->leadersort);
}

/*
 * The next entry of the merged runs in (key, TID) order, NULL keys first in
 * TID order; false at the end.
 */
bool
learned_build_parallel_next(LearnedParallelBuild *leader, int64 *key,
							bool *isnull, ItemPointerData *tid, bool *alive)
{
	return learned_sort_next_run(leader->leadersort, key, isnull, tid, alive);
}

/*
 * End the leader's sort (it closes the runs), wait for the workers to exit
 * and free the parallel context (the run files go with its DSM segment).
 */
void
learned_build_parallel_end(LearnedParallelBuild *leader)
{
	if (leader->leadersort != NULL)
		learned_sort_end(leader->leadersort);
	WaitForParallelWorkersToFinish(leader->pcxt);
	for (int i = 0; i < leader->pcxt->nworkers_launched; i++)
		InstrAccumParallelQuery(&leader->bufferusage[i], &leader->walusage[i]);
	if (IsMVCCSnapshot(leader->snapshot))
		UnregisterSnapshot(leader->snapshot);
	DestroyParallelContext(leader->pcxt);
	ExitParallelMode();
	pfree(leader);
}

/*
 * A parallel worker's entry point, found by name by the parallel context
 * (CreateParallelContext in learned_build_parallel_begin).
 */
void
learned_parallel_build_main(dsm_segment *seg, shm_toc *toc)
{
	LearnedParallelShared *shared;
	Relation	heap;
	Relation	index;
	LOCKMODE	heap_lockmode;
	LOCKMODE	index_lockmode;
	WalUsage   *walusage;
	BufferUsage *bufferusage;
	LearnedWorkerRuns *workerruns;

	debug_query_string = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_QUERY_TEXT,
										true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	shared = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_SHARED, false);
	pgstat_report_query_id(shared->queryid, false);

	/* The lock modes index.c already holds in the leader. */
	if (!shared->isconcurrent)
	{
		heap_lockmode = ShareLock;
		index_lockmode = AccessExclusiveLock;
	}
	else
	{
		heap_lockmode = ShareUpdateExclusiveLock;
		index_lockmode = RowExclusiveLock;
	}
	heap = table_open(shared->heaprelid, heap_lockmode);
	index = index_open(shared->indexrelid, index_lockmode);

	SharedFileSetAttach(&shared->fileset, seg);

	InstrStartParallelQuery();
	workerruns = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_RUNS, false);
	(void) learned_build_parallel_scan_and_sort(shared, workerruns,
												ParallelWorkerNumber,
												heap, index,
												maintenance_work_mem / shared->nsorts,
												false);
	walusage = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_WAL_USAGE, false);
	bufferusage = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_BUFFER_USAGE, false);
	InstrEndParallelQuery(&bufferusage[ParallelWorkerNumber],
						  &walusage[ParallelWorkerNumber]);

	index_close(index, index_lockmode);
	table_close(heap, heap_lockmode);
}
