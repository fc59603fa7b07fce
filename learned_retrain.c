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
 * model in force, after it the new one: never a mix.  Record splits during
 * the retrain do not refuse the switch: it widens the new root for them as
 * each split widened the root in force (see learned_retrain), so the
 * switch is decided before anything is written and no attempt is wasted.
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
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "learned.h"

/* Retrain when splits since the fits reach this share of the listed leaves. */
#define LEARNED_DRIFT_SPLIT_FRACTION	0.10

/*
 * learned.retrain_wait_lock: for tests that interleave sessions with a
 * retrain.  When not 0, a retrain waits, once it has read the record
 * directory and trained the root and before it writes any page, for the
 * session advisory lock of this key (pg_advisory_lock(key) in another
 * session holds it back).  isolationtester sees a heavyweight-lock wait,
 * so a spec can split records at exactly that point.
 */
static int	learned_retrain_wait_lock = 0;

void
learned_retrain_init(void)
{
	DefineCustomIntVariable("learned.retrain_wait_lock",
							"Tests only: a retrain waits for the advisory lock of this key before it writes.",
							"0, the default, waits for nothing.  Another session's pg_advisory_lock(key) "
							"holds a retrain back between its reads and its writes.",
							&learned_retrain_wait_lock,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

/* Wait for the advisory lock learned.retrain_wait_lock names, if any. */
static void
learned_retrain_wait(void)
{
	LOCKTAG		tag;

	if (learned_retrain_wait_lock == 0)
		return;
	/* pg_advisory_lock(int8)'s tag; share mode conflicts with its lock. */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0,
						 (uint32) learned_retrain_wait_lock, 1);
	(void) LockAcquire(&tag, ShareLock, false, false);
	LockRelease(&tag, ShareLock, false);
}

/* Fit a record's list from scratch, one segment, into the slots in mask. */
void
learned_record_refit(Page recpage, uint32 slot_mask)
{
	LearnedRecordHeader *header = LearnedRecordGetHeader(recpage);
	RmiRoot		unused_root;
	RmiRecord	fit;
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
	uint32		directory_level;
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
	dir.directory_level = LearnedMetaDirectoryLevel(meta);
	dir.nrecords = meta->nrecords;
	dir.trained_nrecords = meta->trained_nrecords;
	dir.records = palloc(Max(dir.nrecords, 1) * sizeof(BlockNumber));
	memcpy(dir.records, meta->records, dir.nrecords * sizeof(BlockNumber));
	UnlockReleaseBuffer(buf);
	return dir;
}

/*
 * Every record of every level below the top one, in chain order, level by
 * level: the leftmost record of a level is the first entry of the leftmost
 * one above it, and each level's records form a chain.  Records split off
 * meanwhile are included or not; either is fine (a split fits both slots
 * of the records it writes).  Returns how many, in *n; level-1 records are
 * the last *nlevel1 of them.
 */
static BlockNumber *
learned_lower_records(Relation index, const LearnedDirectory *dir,
					  uint32 *n, uint32 *nlevel1)
{
	uint32		allocated = 64;
	BlockNumber *blocks = palloc(allocated * sizeof(BlockNumber));
	BlockNumber leftmost = dir->records[0];
	uint32		level = dir->directory_level;

	*n = 0;
	*nlevel1 = dir->nrecords;
	while (level > 1)
	{
		Buffer		buf = ReadBuffer(index, leftmost);
		BlockNumber block;
		uint32		level_start = *n;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		block = LearnedRecordBlocks(BufferGetPage(buf))[0];
		UnlockReleaseBuffer(buf);
		leftmost = block;
		level--;
		while (block != InvalidBlockNumber)
		{
			if (*n == allocated)
			{
				allocated *= 2;
				blocks = repalloc(blocks, allocated * sizeof(BlockNumber));
			}
			blocks[(*n)++] = block;
			buf = ReadBuffer(index, block);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			learned_check_page(index, buf, LEARNED_PAGE_RECORD);
			if (learned_record_level(BufferGetPage(buf)) != level)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" block %u: a record of level %u on the chain of level %u",
								RelationGetRelationName(index), block,
								learned_record_level(BufferGetPage(buf)), level),
						 errhint("Please REINDEX it.")));
			block = LearnedPageGetOpaque(BufferGetPage(buf))->right;
			UnlockReleaseBuffer(buf);
			CHECK_FOR_INTERRUPTS();
		}
		*nlevel1 = *n - level_start;
	}
	return blocks;
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
	BlockNumber *lower;
	uint32		nlower;
	uint32		nlevel1;
	BlockNumber *level1;

	if (dir.nrecords != dir.trained_nrecords)
		return true;

	/* The fits of level 1, where splits enter most often. */
	lower = learned_lower_records(index, &dir, &nlower, &nlevel1);
	level1 = dir.directory_level > 1 ? lower + nlower - nlevel1 : dir.records;
	for (j = 0; j < nlevel1; j++)
	{
		Buffer		buf = ReadBuffer(index, level1[j]);
		LearnedRecordHeader *header;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		header = LearnedRecordGetHeader(BufferGetPage(buf));
		splits += header->splits;
		pages += header->npages;
		UnlockReleaseBuffer(buf);
	}
	pfree(lower);
	return splits > 0 && splits >= LEARNED_DRIFT_SPLIT_FRACTION * pages;
}

/*
 * Is old (the directory the retrain read) still the directory, but for
 * records inserted into it?  Record splits only ever insert a record after
 * the one they split, and only retraining changes model_version.
 */
static bool
learned_directory_grew_from(LearnedMetaPage meta, const LearnedDirectory *old)
{
	uint32		i = 0;
	uint32		j;

	if (meta->model_version != old->model_version ||
		LearnedMetaDirectoryLevel(meta) != old->directory_level ||
		meta->nrecords < old->nrecords)
		return false;
	for (j = 0; j < meta->nrecords && i < old->nrecords; j++)
		if (meta->records[j] == old->records[i])
			i++;
	return i == old->nrecords;
}

/*
 * Give a record page (exclusively locked, so its right link cannot change)
 * its high fence: its right neighbour's first fence, which never changes.
 * Records written by a version before high fences get them here.
 */
static void
learned_retrain_high_fence(Relation index, Page page)
{
	BlockNumber right = LearnedPageGetOpaque(page)->right;
	Buffer		buf;
	LearnedFence first;

	if (right == InvalidBlockNumber)
	{
		learned_record_set_high_fence(page, NULL);
		return;
	}
	/* Left to right along a level: the lock order allows it. */
	buf = ReadBuffer(index, right);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_RECORD);
	first = learned_record_first_fence(BufferGetPage(buf));
	UnlockReleaseBuffer(buf);
	learned_record_set_high_fence(page, &first);
}

/*
 * Retrain the model.  The caller holds a lock that keeps other retrains out
 * (ShareUpdateExclusiveLock on the index).  Returns false if the
 * directory changed in a way no record split makes: a level grew (*level_grew
 * set; the caller starts over: what was written is only slots not in force)
 * or something that cannot happen.
 *
 * The switch is decided before anything is written, so no attempt is
 * abandoned with pages rewritten, but for a level grown meanwhile.  The
 * root is trained over the first keys of the records in the directory as
 * read; those keys never change.
 * Record splits meanwhile (k of them) each insert a record, which moves a
 * key's route by at most one: the switch widens the new root's bounds by k
 * and counts k more segments, exactly as each of those splits did to the
 * root in force (learned_record_split), so the new root is as valid as if
 * it had been switched in before them.  A record split refits both fit
 * slots of the records it changes, and each record's new fit is computed
 * from its list as it is when written, under the record's exclusive lock,
 * so every record's slot not in force holds a fit of its current list when
 * the switch makes it the one in force.  trained_nrecords stays the count
 * the root was trained on, so the next VACUUM sees the records added and
 * retrains again.
 *
 * What a retrain writes before the switch is a record's slot not in force
 * (no reader uses it) and its split counter, reset to count from the new
 * fit.  Between those writes and the switch (and for good if the retrain
 * is cancelled or the server crashes in between, which is harmless) the
 * counter of a record already written undercounts the splits since the fit
 * in force; VACUUM then retrains later than it would have.
 */
static bool
learned_retrain_attempt(Relation index, bool *level_grew)
{
	LearnedDirectory dir;
	BlockNumber *lower;
	uint32		nlower;
	uint32		nlevel1;
	uint32		slot;
	RmiRecord *segments;
	RmiRoot		root;
	double		window_sum = 0;
	uint64		nwindows = 0;
	uint32		window_max = 0;
	Buffer		metabuf;
	LearnedMetaPage meta;
	GenericXLogState *xlog;
	uint32		added;
	uint32		j;

	/* Callers: VACUUM, and the SQL function, which refuses recovery. */
	Assert(!RecoveryInProgress());

	/* Read: the directory, and each record's first key, for the root. */
	dir = learned_read_directory(index);
	slot = (dir.model_version + 1) & 1;
	segments = palloc0(Max(dir.nrecords, 1) * sizeof(RmiRecord));
	for (j = 0; j < dir.nrecords; j++)
	{
		Buffer		buf = ReadBuffer(index, dir.records[j]);

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		segments[j].first_key = LearnedRecordKeys(BufferGetPage(buf))[0];
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
	rmi_train_root(&root, segments, dir.nrecords,
				   learned_get_root_kinds(index));

	learned_retrain_wait();

	/*
	 * Write: refit every record of every level as read into the slot not
	 * in force, the top level (the directory) first.  Records split off
	 * since have both slots fitted already.  The window statistics are
	 * those of level 1, whose lists name leaves.
	 */
	lower = learned_lower_records(index, &dir, &nlower, &nlevel1);
	for (j = 0; j < dir.nrecords + nlower; j++)
	{
		BlockNumber block = j < dir.nrecords ? dir.records[j] :
		lower[j - dir.nrecords];
		bool		is_level1 = j + nlevel1 >= dir.nrecords + nlower;
		Buffer		buf = ReadBuffer(index, block);
		Page		page;
		LearnedRecordHeader *header;
		RmiRecord *fit;
		uint32		i;

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		learned_check_page(index, buf, LEARNED_PAGE_RECORD);
		xlog = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(xlog, buf, 0);
		header = LearnedRecordGetHeader(page);
		learned_record_refit(page, 1 << slot);
		header->splits = 0;
		learned_retrain_high_fence(index, page);
		fit = &header->fits[slot];
		for (i = 0; is_level1 && i < header->npages; i++)
		{
			uint32		lo,
						hi;

			rmi_record_window(fit, LearnedRecordKeys(page)[i], &lo, &hi);
			window_sum += hi - lo + 1;
			window_max = Max(window_max, hi - lo + 1);
			nwindows++;
		}
		GenericXLogFinish(xlog);
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}

	/* The switch: the new root, widened for the record splits meanwhile. */
	metabuf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	learned_check_page(index, metabuf, LEARNED_PAGE_META);
	meta = LearnedPageGetMeta(BufferGetPage(metabuf));
	if (!learned_directory_grew_from(meta, &dir))
	{
		*level_grew = LearnedMetaDirectoryLevel(meta) != dir.directory_level;
		UnlockReleaseBuffer(metabuf);
		pfree(lower);
		pfree(segments);
		pfree(dir.records);
		return false;
	}
	added = meta->nrecords - dir.nrecords;
	xlog = GenericXLogStart(index);
	meta = LearnedPageGetMeta(GenericXLogRegisterBuffer(xlog, metabuf, 0));
	meta->root = root;
	meta->root.nrecords += added;
	meta->root.err_lo += added;
	meta->root.err_hi += added;
	meta->model_version++;
	meta->generation++;
	meta->trained_nrecords = dir.nrecords;
	meta->mean_window = nwindows > 0 ? window_sum / nwindows : 1;
	meta->max_window = window_max;
	GenericXLogFinish(xlog);
	UnlockReleaseBuffer(metabuf);

	pfree(segments);
	pfree(dir.records);
	pfree(lower);

	/* Tell other backends at commit; drop our own cache now. */
	CacheInvalidateRelcache(index);
	learned_cache_reset(index);
	return true;
}

/*
 * Retrain; a level grown meanwhile (learned_grow_level replaced the
 * directory the root was trained over) makes it start over, as often as
 * that happens: each growth multiplies what the index lists.
 */
bool
learned_retrain(Relation index)
{
	for (;;)
	{
		bool		level_grew = false;

		if (learned_retrain_attempt(index, &level_grew))
			return true;
		if (!level_grew)
			return false;
	}
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

	/* Can't happen: a retrain decides its switch before it writes. */
	if (!learned_retrain(index))
		elog(ERROR, "learned: the record directory of \"%s\" changed under a retrain",
			 RelationGetRelationName(index));

	relation_close(index, ShareUpdateExclusiveLock);
	PG_RETURN_VOID();
}
