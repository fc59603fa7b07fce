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
 * every entry, NULL keys and recently dead tuples included, into its share
 * of the server's shared tuplesort (learned_sort_begin_shared): a sorted
 * run, bounded by maintenance_work_mem divided among the participants, that
 * spills to the shared file set.  The leader waits until every participant
 * has sorted its run, merges the runs in (key, TID) order, and hands the
 * merged stream to the same code as a serial build: the NULL chain, the
 * leaves, the model, so the index is the one a serial build writes.  A
 * unique index's duplicates, found by two participants or one, meet in that
 * merge (learned_unique.c).
 *
 * Why the server's tuplesort and not our radix sort: it brings the shared
 * file set, the runs' merge, and their cleanup when the build fails or is
 * cancelled (the file set belongs to the parallel context's DSM segment).
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
#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplesort.h"
#include "utils/wait_event.h"

#include "learned.h"

/* Keys of the parallel context's table of contents. */
#define LEARNED_PARALLEL_KEY_SHARED			UINT64CONST(0x4C45415200000001)
#define LEARNED_PARALLEL_KEY_TUPLESORT		UINT64CONST(0x4C45415200000002)
#define LEARNED_PARALLEL_KEY_QUERY_TEXT		UINT64CONST(0x4C45415200000003)
#define LEARNED_PARALLEL_KEY_WAL_USAGE		UINT64CONST(0x4C45415200000004)
#define LEARNED_PARALLEL_KEY_BUFFER_USAGE	UINT64CONST(0x4C45415200000005)

/* What the leader and the workers share, followed by the table scan's. */
typedef struct LearnedParallelShared
{
	/* Set by the leader before the launch, then read only. */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	int			nsorts;			/* participants planned: workers + leader */
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
	Sharedsort *sharedsort;
	Snapshot	snapshot;
	WalUsage   *walusage;
	BufferUsage *bufferusage;
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
		learned_sort_put_shared(state->sort, 0, true, tid, tupleIsAlive);
	else
	{
		learned_sort_put_shared(state->sort,
								learned_datum_to_key(values[0], state->keytype),
								false, tid, tupleIsAlive);
		state->nkeys++;
	}
	state->indtuples += 1;
}

/*
 * One participant's share: join the parallel table scan, sort what it
 * delivers into this participant's run, and report to the leader.
 */
static void
learned_build_parallel_scan_and_sort(LearnedParallelShared *shared,
									 Sharedsort *sharedsort, Relation heap,
									 Relation index, int sortmem, bool progress)
{
	SortCoordinate coordinate = palloc0(sizeof(SortCoordinateData));
	LearnedParallelScanState state;
	IndexInfo  *indexInfo;
	TableScanDesc scan;

	coordinate->isWorker = true;
	coordinate->nParticipants = -1;
	coordinate->sharedsort = sharedsort;

	state.sort = learned_sort_begin_shared(sortmem, coordinate);
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
	learned_sort_perform(state.sort);

	SpinLockAcquire(&shared->mutex);
	shared->nparticipantsdone++;
	shared->indtuples += state.indtuples;
	shared->nkeys += state.nkeys;
	if (indexInfo->ii_BrokenHotChain)
		shared->brokenhotchain = true;
	SpinLockRelease(&shared->mutex);
	ConditionVariableSignal(&shared->workersdonecv);

	/* The run stays in the shared file set for the leader's merge. */
	learned_sort_end(state.sort);
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
	Sharedsort *sharedsort;
	int			nsorts = nworkers + 1;	/* the leader sorts a run too */
	WalUsage   *walusage;
	BufferUsage *bufferusage;
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
	shm_toc_estimate_chunk(&pcxt->estimator, tuplesort_estimate_shared(nsorts));
	shm_toc_estimate_chunk(&pcxt->estimator,
						   mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator,
						   mul_size(sizeof(BufferUsage), pcxt->nworkers));
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
	table_parallelscan_initialize(heap, LearnedParallelTableScan(shared),
								  snapshot);
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_SHARED, shared);

	sharedsort = shm_toc_allocate(pcxt->toc, tuplesort_estimate_shared(nsorts));
	tuplesort_initialize_shared(sharedsort, nsorts, pcxt->seg);
	shm_toc_insert(pcxt->toc, LEARNED_PARALLEL_KEY_TUPLESORT, sharedsort);

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

	LaunchParallelWorkers(pcxt);

	leader = palloc0(sizeof(LearnedParallelBuild));
	leader->pcxt = pcxt;
	leader->nparticipants = pcxt->nworkers_launched + 1;
	leader->shared = shared;
	leader->sharedsort = sharedsort;
	leader->snapshot = snapshot;
	leader->walusage = walusage;
	leader->bufferusage = bufferusage;

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
 * participant has sorted its run.  Returns the leader's merge of the runs
 * (to perform: learned_spool_perform), and the heap tuples indexed and the
 * non-NULL keys among them, of all participants.
 */
LearnedSort *
learned_build_parallel_sort(LearnedParallelBuild *leader, Relation heap,
							Relation index, IndexInfo *indexInfo,
							double *indtuples, uint64 *nkeys)
{
	LearnedParallelShared *shared = leader->shared;
	SortCoordinate coordinate;

	learned_build_parallel_scan_and_sort(shared, leader->sharedsort, heap, index,
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

	coordinate = palloc0(sizeof(SortCoordinateData));
	coordinate->isWorker = false;
	coordinate->nParticipants = leader->nparticipants;
	coordinate->sharedsort = leader->sharedsort;
	return learned_sort_begin_shared(maintenance_work_mem, coordinate);
}

/*
 * Wait for the workers to exit and free the parallel context.  The merged
 * sort must have been ended first (its runs live in the context's DSM
 * segment).
 */
void
learned_build_parallel_end(LearnedParallelBuild *leader)
{
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
	Sharedsort *sharedsort;
	Relation	heap;
	Relation	index;
	LOCKMODE	heap_lockmode;
	LOCKMODE	index_lockmode;
	WalUsage   *walusage;
	BufferUsage *bufferusage;

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

	sharedsort = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_TUPLESORT, false);
	tuplesort_attach_shared(sharedsort, seg);

	InstrStartParallelQuery();
	learned_build_parallel_scan_and_sort(shared, sharedsort, heap, index,
										 maintenance_work_mem / shared->nsorts,
										 false);
	walusage = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_WAL_USAGE, false);
	bufferusage = shm_toc_lookup(toc, LEARNED_PARALLEL_KEY_BUFFER_USAGE, false);
	InstrEndParallelQuery(&bufferusage[ParallelWorkerNumber],
						  &walusage[ParallelWorkerNumber]);

	index_close(index, index_lockmode);
	table_close(heap, heap_lockmode);
}
