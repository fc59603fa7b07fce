/*-------------------------------------------------------------------------
 *
 * learned_retrain.c
 *	  Refitting the model from the current leaves without rewriting them:
 *	  learned_index_retrain(regclass), and VACUUM's cleanup when the fits
 *	  have drifted.
 *
 * The record lists are exact already (every split enters its new page in
 * its record's list), so retraining needs no walk of the leaves: it refits
 * each record's line to its current list and the root to the current
 * records.  Readers and writers keep working meanwhile.  Each record page
 * has two fit slots and the metapage says which is in force
 * (model_version); retraining writes the slot not in force of every record,
 * one WAL record per page, then switches the root and model_version in one
 * WAL record of the metapage.  A crash before the switch leaves the old
 * model in force, after it the new one: never a mix.  A record split during
 * the retrain changes the records under it, so the switch is refused and the
 * retrain starts over (a few times at most).
 *
 * Other backends learn of the new model from a relcache invalidation sent
 * at commit, or, failing that, the next time a lookup of theirs moves right
 * and finds a new generation in the metapage.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xlog.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "learned.h"

/* Retrain when splits since the fits reach this share of the listed leaves. */
#define LEARNED_DRIFT_SPLIT_FRACTION	0.10

/* How often a retrain starts over after record splits under it. */
#define LEARNED_RETRAIN_ATTEMPTS		5

/* Fit a record's list from scratch, one segment, into the slots in mask. */
void
learned_record_refit(Page recpage, uint32 slot_mask)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(recpage);
	RmiRoot		unused_root;
	RmiSegment	fit;
	int			slot;

	rmi_train(LearnedRecordKeys(recpage), header->npages, header->npages,
			  &unused_root, &fit);
	for (slot = 0; slot < 2; slot++)
		if (slot_mask & (1 << slot))
			header->fits[slot] = fit;
}

/* A copy of the metapage's directory and version, read under a share lock. */
typedef struct LearnedDirectory
{
	uint32		model_version;
	uint32		nrecords;
	uint32		trained_nrecords;
	BlockNumber *records;
} LearnedDirectory;

static LearnedDirectory
learned_read_directory(Relation index)
{
	LearnedDirectory dir;
	Buffer		buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LearnedMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(BufferGetPage(buf));
	dir.model_version = meta->model_version;
	dir.nrecords = meta->nrecords;
	dir.trained_nrecords = meta->trained_nrecords;
	dir.records = palloc(Max(dir.nrecords, 1) * sizeof(BlockNumber));
	memcpy(dir.records, meta->records, dir.nrecords * sizeof(BlockNumber));
	UnlockReleaseBuffer(buf);
	return dir;
}

/*
 * Have the fits drifted enough to retrain?  Yes when records split since
 * the root was trained (each split widened the root's window), or when
 * the splits since the records were fitted reach a tenth of their leaves
 * (positions in the lists have moved).
 */
bool
learned_model_drifted(Relation index)
{
	LearnedDirectory dir = learned_read_directory(index);
	uint64		splits = 0;
	uint64		pages = 0;
	uint32		j;

	if (dir.nrecords != dir.trained_nrecords)
		return true;

	for (j = 0; j < dir.nrecords; j++)
	{
		Buffer		buf = ReadBuffer(index, dir.records[j]);
		LearnedRecordHeader *header;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		header = LearnedRecordGetHeader(BufferGetPage(buf));
		splits += header->splits;
		pages += header->npages;
		UnlockReleaseBuffer(buf);
	}
	return splits > 0 && splits >= LEARNED_DRIFT_SPLIT_FRACTION * pages;
}

/*
 * Retrain the model.  The caller holds a lock that keeps other retrains out
 * (ShareUpdateExclusiveLock on the index).  Returns false if records kept
 * splitting under it.
 */
bool
learned_retrain(Relation index)
{
	int			attempt;

	/* Callers: VACUUM, and the SQL function, which refuses recovery. */
	Assert(!RecoveryInProgress());

	for (attempt = 0; attempt < LEARNED_RETRAIN_ATTEMPTS; attempt++)
	{
		LearnedDirectory dir = learned_read_directory(index);
		uint32		slot = (dir.model_version + 1) & 1;
		RmiSegment *segments = palloc(dir.nrecords * sizeof(RmiSegment));
		RmiRoot		root;
		double		window_sum = 0;
		uint64		nwindows = 0;
		uint32		window_max = 0;
		Buffer		metabuf;
		LearnedMetaPage meta;
		GenericXLogState *xlog;
		uint32		j;
		bool		switched = false;

		/* Refit every record into the slot not in force: no reader uses it. */
		for (j = 0; j < dir.nrecords; j++)
		{
			Buffer		buf = ReadBuffer(index, dir.records[j]);
			Page		page;
			LearnedRecordHeader *header;
			uint32		i;

			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			learned_check_page(index, buf, LEARNED_PAGE_RECORD);
			xlog = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(xlog, buf, 0);
			header = LearnedRecordGetHeader(page);
			learned_record_refit(page, 1 << slot);
			header->splits = 0;
			segments[j] = header->fits[slot];
			for (i = 0; i < header->npages; i++)
			{
				uint32		lo,
							hi;

				rmi_segment_window(&segments[j], LearnedRecordKeys(page)[i],
								   &lo, &hi);
				window_sum += hi - lo + 1;
				window_max = Max(window_max, hi - lo + 1);
				nwindows++;
			}
			GenericXLogFinish(xlog);
			UnlockReleaseBuffer(buf);
			CHECK_FOR_INTERRUPTS();
		}

		/* The root: from key to record, over the records' first keys. */
		rmi_train_root(&root, segments, dir.nrecords,
					   learned_get_root_kinds(index));

		/* The switch, unless records split meanwhile. */
		metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, metabuf, LEARNED_PAGE_META);
		meta = LearnedPageGetMeta(BufferGetPage(metabuf));
		if (meta->model_version == dir.model_version &&
			meta->nrecords == dir.nrecords &&
			memcmp(meta->records, dir.records,
				   dir.nrecords * sizeof(BlockNumber)) == 0)
		{
			xlog = GenericXLogStart(index);
			meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
			meta->root = root;
			meta->model_version++;
			meta->generation++;
			meta->trained_nrecords = dir.nrecords;
			meta->mean_window = nwindows > 0 ? window_sum / nwindows : 1;
			meta->max_window = window_max;
			GenericXLogFinish(xlog);
			switched = true;
		}
		UnlockReleaseBuffer(metabuf);

		pfree(segments);
		pfree(dir.records);

		if (switched)
		{
			/* Tell other backends at commit; drop our own cache now. */
			CacheInvalidateRelcache(index);
			learned_cache_reset(index);
			return true;
		}
	}
	return false;
}

PG_FUNCTION_INFO_V1(learned_index_retrain);

/* learned_index_retrain(regclass): refit the model of a learned index. */
Datum
learned_index_retrain(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	Relation	index;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot retrain a learned index during recovery"),
				 errhint("Retrain it on the primary; the standby replays it.")));

	/* Keeps other retrains and VACUUM's out; reads and writes go on. */
	index = learned_open_index(indexoid, ShareUpdateExclusiveLock);

	if (!learned_retrain(index))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not retrain index \"%s\": its records kept splitting",
						RelationGetRelationName(index)),
				 errhint("Try again when fewer rows are being inserted.")));

	relation_close(index, ShareUpdateExclusiveLock);
	PG_RETURN_VOID();
}
