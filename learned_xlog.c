/*-------------------------------------------------------------------------
 *
 * learned_xlog.c
 *	  The learned access method's own WAL resource manager: VACUUM's entry
 *	  removals, replayed under a cleanup lock, and the removals of dead
 *	  entries before a split, whose redo first resolves the conflict with
 *	  standby queries that may still see them (learned_dead.c).
 *
 * Why a resource manager of our own.  On the primary, VACUUM removes a
 * leaf's entries under a cleanup lock, so an index-only scan that holds a pin
 * on the leaf keeps returning the entries it copied from it until it lets go
 * (README's invariant 5).  Generic WAL redo takes only an exclusive lock: a
 * hot standby would remove the entries under a scan's pin, replay the heap's
 * visibility-map bit next, and the scan would return a removed key without
 * looking at the heap.  nbtree's VACUUM redo takes a cleanup lock for this
 * reason; generic WAL cannot, so the removals are logged here, and redo
 * takes the cleanup lock (XLogReadBufferForRedoExtended, get_cleanup_lock),
 * waiting for the scan's pin or, past max_standby_streaming_delay,
 * cancelling the scan as nbtree's redo does.
 *
 * A custom resource manager exists only where the library is in
 * shared_preload_libraries (PostgreSQL 15 and later).  Where it is not, the
 * primary logs VACUUM as generic WAL as before, and a server in recovery
 * offers no index-only scans of a learned index unless every removal it may
 * still replay is one of ours: the metapage's LEARNED_WAL_CLEANUP_REDO flag,
 * which VACUUM sets or clears (WAL-logged) before its first removal
 * according to how it logs them (learned_vacuum.c).  A standby that meets a
 * record of this resource manager without the library preloaded stops
 * recovery ("resource manager with ID 200 not registered"): primary and
 * standbys must preload it alike.
 *
 * The records carry what was removed (positions on the page before the
 * removal), not the page: redo runs the same page code as the primary, so
 * both produce the same bytes, which wal_consistency_checking = 'learned'
 * verifies with learned_mask.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlog_internal.h"
#include "access/xloginsert.h"
#include "access/xlogutils.h"
#include "catalog/catalog.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/standby.h"
#include "utils/rel.h"

#include "learned.h"

/* Record kinds (xl_info's high bits). */
#define XLOG_LEARNED_VACUUM_LEAF	0x00
#define XLOG_LEARNED_VACUUM_NULLS	0x10
#define XLOG_LEARNED_DELETE_LEAF	0x20

/*
 * Main data of both kinds; the block's data is ndead uint16 positions of
 * the removed entries (TIDs on a NULL page), ascending, taken before the
 * removal.  A leaf's pending entries are merged into its sorted ones too,
 * so a leaf record may remove nothing.
 */
typedef struct xl_learned_vacuum
{
	uint16		ndead;
} xl_learned_vacuum;

#define SizeOfLearnedVacuum	(offsetof(xl_learned_vacuum, ndead) + sizeof(uint16))

/*
 * Main data of XLOG_LEARNED_DELETE_LEAF, the removal of dead entries before
 * a split (learned_dead.c); the block's data is as for VACUUM.  Queries of
 * a hot standby whose snapshots may still see a removed entry's heap tuple
 * (xmin not after snapshot_conflict_horizon) conflict with its redo, as
 * with nbtree's delete record (its latestRemovedXid, renamed
 * snapshotConflictHorizon in PostgreSQL 16).  is_catalog_rel: the heap is
 * read by logical decoding (PostgreSQL 16 and later resolve conflicts of
 * logical slots on a standby with it).
 */
typedef struct xl_learned_delete
{
	TransactionId snapshot_conflict_horizon;
	uint16		ndead;
	bool		is_catalog_rel;
} xl_learned_delete;

#define SizeOfLearnedDelete	(offsetof(xl_learned_delete, is_catalog_rel) + sizeof(bool))

/* Set by _PG_init when the resource manager is registered; never cleared. */
bool		learned_rmgr_registered = false;

static void learned_redo(XLogReaderState *record);
static void learned_desc(StringInfo buf, XLogReaderState *record);
static const char *learned_identify(uint8 info);
static void learned_mask(char *pagedata, BlockNumber blkno);

static RmgrData learned_rmgr = {
	.rm_name = LEARNED_RMGR_NAME,
	.rm_redo = learned_redo,
	.rm_desc = learned_desc,
	.rm_identify = learned_identify,
	.rm_mask = learned_mask,
};

/*
 * Register the resource manager; only possible while shared_preload_libraries
 * are being loaded.
 */
void
learned_xlog_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	RegisterCustomRmgr(LEARNED_RMGR_ID, &learned_rmgr);
	learned_rmgr_registered = true;
}

/*
 * Remove the entries at positions[0..ndead) of a leaf or NULL page (and, on
 * a leaf, merge its pending entries), then zero the page's hole, as
 * GenericXLogFinish did when VACUUM logged this as generic WAL.  Both the
 * primary and redo run this; the positions have been checked.
 */
void
learned_vacuum_apply(Page page, const uint16 *positions, int ndead)
{
	PageHeader	header = (PageHeader) page;

	if (LearnedPageIsLeaf(page))
	{
		bool		dead[LEARNED_LEAF_MAX_CAPACITY];

		if (ndead > 0)
		{
			memset(dead, 0, sizeof(bool) * LearnedLeafCount(page));
			for (int i = 0; i < ndead; i++)
				dead[positions[i]] = true;
			learned_leaf_remove(page, dead);
		}
		learned_leaf_merge_all(page);
		/* Every dead entry is gone: nothing left to mark. */
		LearnedPageGetOpaque(page)->flags &= ~LEARNED_LEAF_HAS_DEAD;
	}
	else
	{
		ItemPointer tids = LearnedNullsTids(page);
		int			ntids = LearnedNullsCount(page);
		int			kept = 0;
		int			next = 0;

		for (int i = 0; i < ntids; i++)
		{
			if (next < ndead && positions[next] == i)
			{
				next++;
				continue;
			}
			tids[kept++] = tids[i];
		}
		learned_nulls_set_count(page, kept);
	}
	memset((char *) page + header->pd_lower, 0,
		   header->pd_upper - header->pd_lower);
}

/*
 * Remove the entries at positions[0..ndead) (ascending, at least one) of a
 * leaf, merge its pending entries and zero the hole: the removal of dead
 * entries before a split.  Unlike VACUUM's, it keeps the leaf's
 * LEARNED_LEAF_HAS_DEAD flag: the heap checked only some of the entries
 * (learned_dead.c).  Both the primary and redo run this.
 */
void
learned_delete_apply(Page page, const uint16 *positions, int ndead)
{
	uint16		flags = LearnedPageGetOpaque(page)->flags;

	Assert(LearnedPageIsLeaf(page) && ndead > 0);
	learned_vacuum_apply(page, positions, ndead);
	LearnedPageGetOpaque(page)->flags = flags;
}

/*
 * Apply and log the removal of dead entries from the leaf in buf, locked
 * exclusively, with the conflict horizon table_index_delete_tuples gave.
 */
void
learned_delete_log(Relation index, Relation heap, Buffer buf,
				   const uint16 *positions, int ndead, TransactionId horizon)
{
	Page		page = BufferGetPage(buf);
	PGAlignedBlock copy;

	Assert(learned_rmgr_registered);
	Assert(ndead > 0 && ndead <= LearnedLeafCount(page));
	memcpy(copy.data, page, BLCKSZ);
	learned_delete_apply((Page) copy.data, positions, ndead);

	START_CRIT_SECTION();
	memcpy(page, copy.data, BLCKSZ);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(index))
	{
		xl_learned_delete xlrec;
		XLogRecPtr	lsn;

		xlrec.snapshot_conflict_horizon = horizon;
		xlrec.ndead = ndead;
		xlrec.is_catalog_rel = RelationIsAccessibleInLogicalDecoding(heap);
		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, SizeOfLearnedDelete);
		XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
		XLogRegisterBufData(0, (char *) positions, ndead * sizeof(uint16));
		lsn = XLogInsert(LEARNED_RMGR_ID, XLOG_LEARNED_DELETE_LEAF);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
}

/*
 * Apply and log a VACUUM of the leaf or NULL page in buf, locked for
 * cleanup.  The change is made on a copy first, so that nothing that could
 * fail runs in the critical section.
 */
void
learned_vacuum_log(Relation index, Buffer buf, const uint16 *positions,
				   int ndead)
{
	Page		page = BufferGetPage(buf);
	PGAlignedBlock copy;
	bool		leaf = LearnedPageIsLeaf(page);

	Assert(learned_rmgr_registered);
	Assert(ndead >= 0 && ndead <= PG_UINT16_MAX);
	memcpy(copy.data, page, BLCKSZ);
	learned_vacuum_apply((Page) copy.data, positions, ndead);

	START_CRIT_SECTION();
	memcpy(page, copy.data, BLCKSZ);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(index))
	{
		xl_learned_vacuum xlrec;
		XLogRecPtr	lsn;

		xlrec.ndead = ndead;
		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, SizeOfLearnedVacuum);
		XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
		if (ndead > 0)
			XLogRegisterBufData(0, (char *) positions, ndead * sizeof(uint16));
		lsn = XLogInsert(LEARNED_RMGR_ID, leaf ? XLOG_LEARNED_VACUUM_LEAF :
						 XLOG_LEARNED_VACUUM_NULLS);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
}

static void
learned_redo_vacuum(XLogReaderState *record, bool leaf)
{
	xl_learned_vacuum *xlrec = (xl_learned_vacuum *) XLogRecGetData(record);
	Buffer		buf;

	/*
	 * The cleanup lock: wait until no index-only scan still holds a pin on
	 * the page (README's invariant 5).
	 */
	if (XLogReadBufferForRedoExtended(record, 0, RBM_NORMAL, true, &buf) ==
		BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		int			ndead = xlrec->ndead;
		int			count;
		Size		len = 0;
		char	   *data = XLogRecGetBlockData(record, 0, &len);
		uint16		positions[Max(LEARNED_LEAF_MAX_CAPACITY, LEARNED_NULLS_CAPACITY)];

		if (leaf != LearnedPageIsLeaf(page) ||
			(!leaf && !LearnedPageIsNulls(page)))
			elog(PANIC, "learned redo: block %u is not a %s page",
				 BufferGetBlockNumber(buf), leaf ? "leaf" : "NULL");
		count = leaf ? LearnedLeafCount(page) : LearnedNullsCount(page);
		if (ndead > count || len != ndead * sizeof(uint16))
			elog(PANIC, "learned redo: %d removals of %d entries in %zu bytes",
				 ndead, count, len);
		if (ndead > 0)
			memcpy(positions, data, len);	/* the data may be unaligned */
		for (int i = 0; i < ndead; i++)
		{
			if (positions[i] >= count || (i > 0 && positions[i] <= positions[i - 1]))
				elog(PANIC, "learned redo: removal position %u out of order or range",
					 positions[i]);
		}
		learned_vacuum_apply(page, positions, ndead);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

/*
 * Redo of a removal of dead entries.  First cancel (after
 * max_standby_streaming_delay) the queries whose snapshots may still see
 * the removed entries' heap tuples, with no buffer locked, as nbtree's
 * btree_xlog_delete does; then remove under an exclusive lock.  No cleanup
 * lock: an index-only scan's pin guards against the reuse of heap TIDs,
 * which only VACUUM's removals (replayed under a cleanup lock) allow.
 */
static void
learned_redo_delete(XLogReaderState *record)
{
	xl_learned_delete *xlrec = (xl_learned_delete *) XLogRecGetData(record);
	Buffer		buf;

	if (InHotStandby)
	{
		LearnedRelFile file;

		XLogRecGetBlockTag(record, 0, &file, NULL, NULL);
#if PG_VERSION_NUM >= 160000
		ResolveRecoveryConflictWithSnapshot(xlrec->snapshot_conflict_horizon,
											xlrec->is_catalog_rel, file);
#else
		ResolveRecoveryConflictWithSnapshot(xlrec->snapshot_conflict_horizon,
											file);
#endif
	}

	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		int			ndead = xlrec->ndead;
		int			count;
		Size		len = 0;
		char	   *data = XLogRecGetBlockData(record, 0, &len);
		uint16		positions[LEARNED_LEAF_MAX_CAPACITY];

		if (!LearnedPageIsLeaf(page))
			elog(PANIC, "learned redo: block %u is not a leaf page",
				 BufferGetBlockNumber(buf));
		count = LearnedLeafCount(page);
		if (ndead < 1 || ndead > count || len != ndead * sizeof(uint16))
			elog(PANIC, "learned redo: %d removals of %d entries in %zu bytes",
				 ndead, count, len);
		memcpy(positions, data, len);	/* the data may be unaligned */
		for (int i = 0; i < ndead; i++)
		{
			if (positions[i] >= count || (i > 0 && positions[i] <= positions[i - 1]))
				elog(PANIC, "learned redo: removal position %u out of order or range",
					 positions[i]);
		}
		learned_delete_apply(page, positions, ndead);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
learned_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info)
	{
		case XLOG_LEARNED_VACUUM_LEAF:
			learned_redo_vacuum(record, true);
			break;
		case XLOG_LEARNED_VACUUM_NULLS:
			learned_redo_vacuum(record, false);
			break;
		case XLOG_LEARNED_DELETE_LEAF:
			learned_redo_delete(record);
			break;
		default:
			elog(PANIC, "learned redo: unknown record kind %u", info);
	}
}

static void
learned_desc(StringInfo buf, XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if (info == XLOG_LEARNED_DELETE_LEAF)
	{
		xl_learned_delete *xlrec = (xl_learned_delete *) XLogRecGetData(record);

		if (XLogRecGetDataLen(record) >= SizeOfLearnedDelete)
			appendStringInfo(buf, "ndead %u, snapshot_conflict_horizon %u, is_catalog_rel %c",
							 xlrec->ndead, xlrec->snapshot_conflict_horizon,
							 xlrec->is_catalog_rel ? 'T' : 'F');
	}
	else
	{
		xl_learned_vacuum *xlrec = (xl_learned_vacuum *) XLogRecGetData(record);

		if (XLogRecGetDataLen(record) >= SizeOfLearnedVacuum)
			appendStringInfo(buf, "ndead %u", xlrec->ndead);
	}
}

static const char *
learned_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_LEARNED_VACUUM_LEAF:
			return "VACUUM_LEAF";
		case XLOG_LEARNED_VACUUM_NULLS:
			return "VACUUM_NULLS";
		case XLOG_LEARNED_DELETE_LEAF:
			return "DELETE_LEAF";
	}
	return NULL;
}

/*
 * For wal_consistency_checking: what generic WAL masks.  The hole is zeroed
 * on both sides already; a full-page image restores it as zeroes too.
 */
static void
learned_mask(char *pagedata, BlockNumber blkno)
{
	mask_page_lsn_and_checksum(pagedata);
	mask_unused_space(pagedata);
}

/*
 * May a server in recovery run index-only scans of this index?  Only if the
 * redo of every removal still to come takes a cleanup lock: the resource
 * manager is registered here, and the primary's last word in the metapage
 * says it logs removals with it.  A VACUUM of a primary without the library
 * clears the flag before its first generic removal, so a standby replays
 * the clearing first.
 */
bool
learned_standby_ios_safe(Relation index)
{
	Buffer		buf;
	bool		safe;

	if (!learned_rmgr_registered)
		return false;
	buf = ReadBuffer(index, LEARNED_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	learned_check_page(index, buf, LEARNED_PAGE_META);
	safe = (LearnedPageGetMeta(BufferGetPage(buf))->wal_flags &
			LEARNED_WAL_CLEANUP_REDO) != 0;
	UnlockReleaseBuffer(buf);
	return safe;
}
