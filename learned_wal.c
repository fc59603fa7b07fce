/*-------------------------------------------------------------------------
 *
 * learned_wal.c
 *	  The one page change every insert makes, an append to a leaf's pending
 *	  entries (or to a NULL page), logged as a generic WAL record built
 *	  directly from the bytes it changed.
 *
 * GenericXLogRegisterBuffer copies the whole page, the caller changes the
 * copy, and GenericXLogFinish compares the two copies byte by byte to find
 * what changed, then copies the page back: two 8 kB copies and an 8 kB
 * comparison for an insert that changes 8 to 19 bytes.  Profiles of COPY
 * into an indexed table put most of an inserting backend's time there.  An
 * append knows exactly which bytes it changes (the new key slot, the new
 * TID's bytes and pd_lower/pd_upper), so it writes those bytes as the
 * fragments of a generic WAL record itself: the record has the format
 * generic_xlog.c writes (resource manager RM_GENERIC_ID; per block,
 * fragments of a uint16 offset, a uint16 length and the new bytes), so the
 * server's own generic redo replays it, standbys and
 * wal_consistency_checking = 'Generic' treat it like any other generic
 * record, and no shared_preload_libraries entry is needed.
 * Every other page change (merges, splits, retraining, and VACUUM where the
 * learned resource manager is not registered: see learned_xlog.c) stays
 * with GenericXLogStart/Finish: they are rare and touch many bytes.
 *
 * Redo zeroes the page's hole (pd_lower to pd_upper) after applying the
 * fragments, as GenericXLogFinish does on the primary; an append only
 * writes into what was the hole's edges, so primary and standby keep
 * identical pages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/rmgr.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "learned.h"

/* A fragment of a generic WAL record: offset, length, then the bytes. */
#define LEARNED_FRAGMENT_HEADER_SIZE	(2 * sizeof(uint16))

/*
 * Room for the three fragments of an append: a key, a TID (48 bits at
 * most, starting anywhere in its first byte: 7 bytes) and the bounds.
 */
#define LEARNED_APPEND_DELTA_SIZE \
	(3 * LEARNED_FRAGMENT_HEADER_SIZE + sizeof(int64) + \
	 sizeof(ItemPointerData) + 1 + 2 * sizeof(LocationIndex))

typedef struct LearnedDelta
{
	int			len;
	char		data[LEARNED_APPEND_DELTA_SIZE];
} LearnedDelta;

/* Add the current bytes of page[start, start + len) as one fragment. */
static void
learned_delta_add(LearnedDelta *delta, Page page, const void *start, Size len)
{
	uint16		offset = (const char *) start - (const char *) page;
	uint16		length = len;

	Assert((const char *) start >= (const char *) page &&
		   offset + len <= BLCKSZ);
	Assert(delta->len + LEARNED_FRAGMENT_HEADER_SIZE + len <= sizeof(delta->data));
	memcpy(delta->data + delta->len, &offset, sizeof(offset));
	memcpy(delta->data + delta->len + sizeof(offset), &length, sizeof(length));
	memcpy(delta->data + delta->len + LEARNED_FRAGMENT_HEADER_SIZE, start, len);
	delta->len += LEARNED_FRAGMENT_HEADER_SIZE + len;
}

/*
 * Mark the exclusively locked buffer dirty and, for a WAL-logged index, log
 * the delta as a generic WAL record.  Call inside the critical section that
 * changed the page.
 */
static void
learned_log_delta(Relation index, Buffer buf, LearnedDelta *delta)
{
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(index))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
		XLogRegisterBufData(0, delta->data, delta->len);
		lsn = XLogInsert(RM_GENERIC_ID, 0);
		PageSetLSN(BufferGetPage(buf), lsn);
	}
}

/* The page header's pd_lower and pd_upper, adjacent: one fragment. */
static void
learned_delta_add_bounds(LearnedDelta *delta, Page page)
{
	PageHeader	header = (PageHeader) page;

	StaticAssertStmt(offsetof(PageHeaderData, pd_upper) ==
					 offsetof(PageHeaderData, pd_lower) + sizeof(LocationIndex),
					 "pd_lower and pd_upper are adjacent");
	learned_delta_add(delta, page, &header->pd_lower, 2 * sizeof(LocationIndex));
}

/*
 * Append (key, tid) as a pending entry of the exclusively locked leaf in
 * buf, which has room for it and fewer than LEARNED_LEAF_PENDING_MAX
 * pending entries, and log it.
 */
void
learned_leaf_append_logged(Relation index, Buffer buf, int64 key,
						   ItemPointer tid)
{
	Page		page = BufferGetPage(buf);
	int			n = LearnedLeafCount(page);
	Size		tid_start;
	Size		tid_end;
	LearnedDelta delta;

	Assert(n < LearnedLeafCapacity(page) && learned_leaf_fits(page, key, tid));
	Assert(LearnedLeafUnsorted(page) < LEARNED_LEAF_PENDING_MAX);
	delta.len = 0;

	START_CRIT_SECTION();
	learned_leaf_append(page, key, tid);
	learned_delta_add(&delta, page, LearnedLeafKeyPointer(page, n),
					  LearnedLeafKeyBytes(page));
	learned_delta_add_bounds(&delta, page);
	/* TID n's bits lie in the TID array's bytes that n + 1 TIDs add. */
	tid_end = learned_leaf_tid_array_size(LearnedLeafFormatOf(page), n + 1);
	tid_start = (LearnedLeafTidBits(page) * (Size) n) / 8;
	learned_delta_add(&delta, page,
					  (char *) page + ((PageHeader) page)->pd_special - tid_end,
					  tid_end - tid_start);
	learned_log_delta(index, buf, &delta);
	END_CRIT_SECTION();
}

/*
 * Append tid to the exclusively locked NULL page in buf, which has room
 * for it, and log it.
 */
void
learned_nulls_append_logged(Relation index, Buffer buf, ItemPointer tid)
{
	Page		page = BufferGetPage(buf);
	int			n = LearnedNullsCount(page);
	LearnedDelta delta;

	Assert(n < LEARNED_NULLS_CAPACITY);
	delta.len = 0;

	START_CRIT_SECTION();
	LearnedNullsTids(page)[n] = *tid;
	learned_nulls_set_count(page, n + 1);
	learned_delta_add(&delta, page, &LearnedNullsTids(page)[n],
					  sizeof(ItemPointerData));
	learned_delta_add_bounds(&delta, page);
	learned_log_delta(index, buf, &delta);
	END_CRIT_SECTION();
}
