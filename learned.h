/*-------------------------------------------------------------------------
 *
 * learned.h
 *	  Shared definitions of the "learned" index access method: page layouts,
 *	  the per-backend model cache, scan state and every cross-file prototype,
 *	  grouped under a banner naming the file that defines them.
 *
 * README.md's "How it works" explains the design and numbers its
 * invariants; comments here and in the .c files cite them as "README
 * invariant N".  In short: leaf pages hold sorted (key, heap TID) entries
 * and form one doubly linked chain with immutable low fences; stage-2
 * "records" (one per model page) own ordered lists of (low fence, block) of
 * their leaves; records have levels, a record of level L >= 2 listing
 * records of level L - 1 the same way; the root model in the metapage
 * routes a key to a record of the top level, whose directory the metapage
 * holds, and each level's lists lead down to a leaf.  The leaf chain is the
 * truth, the model only says where to start (README invariants 1 and 2).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEARNED_H
#define LEARNED_H

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "catalog/pg_type_d.h"
#include "nodes/pathnodes.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"
#include "utils/hsearch.h"
#include "utils/relcache.h"

#include "rmi.h"

/* Relation file identity: renamed in PostgreSQL 16. */
#if PG_VERSION_NUM >= 160000
#define LearnedRelFile			RelFileLocator
#define LearnedRelFileOf(rel)	((rel)->rd_locator)
#define LearnedRelFileEquals(a, b)	RelFileLocatorEquals(a, b)
#else
#define LearnedRelFile			RelFileNode
#define LearnedRelFileOf(rel)	((rel)->rd_node)
#define LearnedRelFileEquals(a, b)	RelFileNodeEquals(a, b)
#endif

/* ----------------------------------------------------------------
 *	On-disk format
 * ----------------------------------------------------------------
 */

#define LEARNED_MAGIC			0x4C524E44	/* "LRND" */
#define LEARNED_VERSION			4	/* 3: packed leaves; 4: bit-packed TIDs */
#define LEARNED_PAGE_ID			0xFF8A	/* last two bytes of special space */

#define LEARNED_METAPAGE_BLKNO	0

/* Page kinds and fence flags (LearnedPageOpaqueData.flags). */
#define LEARNED_PAGE_META		(1 << 0)
#define LEARNED_PAGE_RECORD		(1 << 1)	/* model page: one stage-2 record */
#define LEARNED_PAGE_LEAF		(1 << 2)
#define LEARNED_PAGE_NULLS		(1 << 3)	/* TIDs of entries whose key is NULL */
#define LEARNED_LEFTMOST		(1 << 4)	/* low fence is minus infinity */
#define LEARNED_RIGHTMOST		(1 << 5)	/* high fence is plus infinity */
#define LEARNED_LEAF_HAS_DEAD	(1 << 6)	/* leaf: some entry was seen dead
											 * to everyone (learned_dead.c) */
#define LEARNED_RECORD_UPPER	(1 << 7)	/* model page of level >= 2: lists
											 * records, its level in nsorted */
#define LEARNED_RECORD_HIGH		(1 << 8)	/* model page: high_fence is its
											 * right neighbour's first fence */
#define LEARNED_ANY_PAGE \
	(LEARNED_PAGE_META | LEARNED_PAGE_RECORD | LEARNED_PAGE_LEAF | LEARNED_PAGE_NULLS)

/*
 * A fence is a (key, heap TID) pair: entries are ordered by key, then TID,
 * so every entry has exactly one place even among duplicates.  Where the
 * entries left of a fence all have smaller keys, the fence's TID is (0,0),
 * which sorts before every real TID: the fence then means "key x, minus
 * infinity", and a search for the first entry with key x starts on the
 * fence's page rather than on its left neighbour (nbtree's suffix
 * truncation, for the TID; README invariant 9).
 */
#define LearnedFenceTidIsMinusInfinity(tid) \
	(ItemPointerGetOffsetNumberNoCheck(tid) == 0)
#define LearnedFenceSetTidMinusInfinity(tid) \
	ItemPointerSet((tid), 0, 0)
typedef struct LearnedFence
{
	int64		key;
	ItemPointerData tid;
} LearnedFence;

/*
 * The order of entries and fences: by key, then by heap TID.  Every
 * comparison of (key, TID) pairs goes through this one function.
 */
static inline int
learned_entry_cmp(int64 key1, const ItemPointerData *tid1,
				  int64 key2, const ItemPointerData *tid2)
{
	if (key1 != key2)
		return key1 < key2 ? -1 : 1;
	return ItemPointerCompare((ItemPointer) tid1, (ItemPointer) tid2);
}

/*
 * How a leaf packs its entries (see "Leaf layout" below): bytes per key
 * offset, bits per heap block number and per heap offset number.
 */
typedef struct LearnedLeafFormat
{
	uint8		key_bytes;		/* 1..8 */
	uint8		block_bits;		/* LEARNED_MIN_BLOCK_BITS..32 */
	uint8		offnum_bits;	/* LEARNED_MIN_OFFNUM_BITS..16 */
} LearnedLeafFormat;

/*
 * Special space of every page.  Leaf pages use all of it; NULL pages use the
 * links; model pages use the links to chain records in key order; the
 * metapage uses only flags and page_id.
 *
 * A leaf's entries e satisfy low_fence <= e < high_fence.  The low fence is
 * set when the page is created and never changes; the high fence is a copy
 * of the right sibling's low fence (README invariants 1 and 9).
 */
typedef struct LearnedPageOpaqueData
{
	LearnedFence low_fence;
	LearnedFence high_fence;
	BlockNumber left;			/* left sibling, or InvalidBlockNumber */
	BlockNumber right;			/* right sibling, or InvalidBlockNumber */
	BlockNumber owner_record;	/* leaf: model page whose list holds it */
	uint16		nsorted;		/* leaf: entries [0, nsorted) are sorted;
								 * upper record: its level */
	LearnedLeafFormat format;	/* leaf: how its entries are packed */
	uint8		unused8;
	uint16		nrecent;		/* leaf: so are [nsorted, nsorted + nrecent) */
	uint16		flags;
	uint16		page_id;		/* LEARNED_PAGE_ID, for pg_filedump */
} LearnedPageOpaqueData;

typedef LearnedPageOpaqueData *LearnedPageOpaque;

#define LearnedPageGetOpaque(page) \
	((LearnedPageOpaque) PageGetSpecialPointer(page))
#define LearnedPageIsLeaf(page) \
	((LearnedPageGetOpaque(page)->flags & LEARNED_PAGE_LEAF) != 0)
#define LearnedPageIsNulls(page) \
	((LearnedPageGetOpaque(page)->flags & LEARNED_PAGE_NULLS) != 0)
#define LearnedPageIsRecord(page) \
	((LearnedPageGetOpaque(page)->flags & LEARNED_PAGE_RECORD) != 0)
#define LearnedPageIsMeta(page) \
	((LearnedPageGetOpaque(page)->flags & LEARNED_PAGE_META) != 0)

/*
 * Leaf layout (README, "Pages", explains the format and why it was chosen):
 * keys grow up from the page header and the matching heap TIDs down from
 * the special space, so the free space is one hole between pd_lower and
 * pd_upper, which generic WAL and full-page images skip.  Entry i is
 * (learned_leaf_key(page, i), learned_leaf_tid(page, i)), each packed in
 * the widths LearnedLeafFormat names: a key as its offset from
 * learned_leaf_base in whole bytes (the search reads keys, so they stay
 * byte-aligned), a TID as block number above offset number in
 * block_bits + offnum_bits bits, TID i at bits [i * w, (i + 1) * w) of a
 * bit string whose byte j lies at pd_special - 1 - j.  Block numbers take
 * at least LEARNED_MIN_BLOCK_BITS so that a small growing heap does not
 * make every leaf it inserts into widen.  The format of a page written
 * whole (build, split) is chosen in learned_format.c, whose
 * learned_split_plan shows that some split point always fits both pages.
 *
 * Entries [0, nsorted) are the main run, sorted by (key, TID); the next
 * nrecent (at most LEARNED_LEAF_RECENT_MAX) the recent run, sorted too; the
 * rest (at most LEARNED_LEAF_PENDING_MAX) are pending, in arrival order, so
 * that an insert changes a few bytes (learned_leaf_merge_pending folds them
 * in).
 */
#define LEARNED_LEAF_PENDING_MAX	64
#define LEARNED_LEAF_RECENT_MAX		256
#define LearnedLeafUnsorted(page) \
	(LearnedLeafCount(page) - LearnedPageGetOpaque(page)->nsorted - \
	 LearnedPageGetOpaque(page)->nrecent)
#define LEARNED_CONTENTS_SIZE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(LearnedPageOpaqueData)))
#define LEARNED_MIN_BLOCK_BITS		16
#define LEARNED_MIN_OFFNUM_BITS		8
#define LEARNED_MIN_ENTRY_BITS		(8 + LEARNED_MIN_BLOCK_BITS + LEARNED_MIN_OFFNUM_BITS)
#define LEARNED_MAX_ENTRY_BITS		(8 * (sizeof(int64) + sizeof(ItemPointerData)))
/*
 * The bits of a leaf's contents that entries may take: the TIDs' last
 * byte may be partly used, so n entries of key_bytes and w TID bits fit
 * when n * (8 * key_bytes + w) <= LEARNED_CONTENTS_BITS.
 */
#define LEARNED_CONTENTS_BITS		(8 * LEARNED_CONTENTS_SIZE - 7)
/* The most entries any leaf holds: the size of per-page scratch arrays. */
#define LEARNED_LEAF_MAX_CAPACITY	(LEARNED_CONTENTS_BITS / LEARNED_MIN_ENTRY_BITS)
/* The fewest a full leaf holds (every field at its widest). */
#define LEARNED_LEAF_MIN_CAPACITY	(LEARNED_CONTENTS_BITS / LEARNED_MAX_ENTRY_BITS)
#define LEARNED_NULLS_CAPACITY		(LEARNED_CONTENTS_SIZE / sizeof(ItemPointerData))

#define LearnedLeafFormatOf(page)	(&LearnedPageGetOpaque(page)->format)
#define LearnedLeafKeyBytes(page)	(LearnedLeafFormatOf(page)->key_bytes)
#define LearnedLeafTidBits(page) \
	(LearnedLeafFormatOf(page)->block_bits + LearnedLeafFormatOf(page)->offnum_bits)
#define LearnedLeafCapacity(page) \
	learned_leaf_format_capacity(LearnedLeafFormatOf(page))
#define LearnedLeafKeyPointer(page, i) \
	((char *) PageGetContents(page) + (Size) (i) * LearnedLeafKeyBytes(page))
#define LearnedLeafCount(page) \
	((int) ((((PageHeader) (page))->pd_lower - MAXALIGN(SizeOfPageHeaderData)) / LearnedLeafKeyBytes(page)))

/* Is this a format the code writes?  Checked on every leaf read. */
static inline bool
learned_leaf_format_valid(const LearnedLeafFormat *format)
{
	return format->key_bytes >= 1 && format->key_bytes <= sizeof(int64) &&
		format->block_bits >= LEARNED_MIN_BLOCK_BITS &&
		format->block_bits <= 8 * sizeof(BlockNumber) &&
		format->offnum_bits >= LEARNED_MIN_OFFNUM_BITS &&
		format->offnum_bits <= 8 * sizeof(OffsetNumber);
}

/* Bits per entry of a format. */
static inline int
learned_leaf_format_bits(const LearnedLeafFormat *format)
{
	return 8 * format->key_bytes + format->block_bits + format->offnum_bits;
}

/* Entries a leaf of this format holds when full. */
static inline int
learned_leaf_format_capacity(const LearnedLeafFormat *format)
{
	return (int) (LEARNED_CONTENTS_BITS / learned_leaf_format_bits(format));
}

/* Bytes the TIDs of n entries take: the TID array's length. */
static inline Size
learned_leaf_tid_array_size(const LearnedLeafFormat *format, int n)
{
	return ((Size) n * (format->block_bits + format->offnum_bits) + 7) / 8;
}

/* The largest value nbits bits hold. */
static inline uint64
learned_max_bits(int nbits)
{
	return nbits >= 64 ? PG_UINT64_MAX : (UINT64CONST(1) << nbits) - 1;
}

/* The largest value nbytes little-endian bytes hold. */
static inline uint64
learned_max_packed(int nbytes)
{
	return learned_max_bits(8 * nbytes);
}

/*
 * Read an unsigned little-endian integer of nbytes bytes.  It loads eight
 * bytes and masks: every key of a leaf has at least eight bytes of the page
 * after its start (keys are followed by the TIDs, TIDs by the special
 * space), so the load stays within the page.
 */
static inline uint64
learned_load_packed(const char *p, int nbytes)
{
	uint64		value;

	memcpy(&value, p, sizeof(value));
#ifdef WORDS_BIGENDIAN
	value = pg_bswap64(value);
#endif
	return value & learned_max_packed(nbytes);
}

/* Write value, which fits, as nbytes little-endian bytes. */
static inline void
learned_store_packed(char *p, uint64 value, int nbytes)
{
	Assert(value <= learned_max_packed(nbytes));
#ifdef WORDS_BIGENDIAN
	value = pg_bswap64(value);
#endif
	memcpy(p, &value, nbytes);
}

/*
 * The eight bytes of a leaf's TID bit string from its byte bit / 8 on, as
 * one integer whose least significant byte is that byte: the string runs
 * down from pd_special, so those bytes lie at descending addresses and are
 * read as a big-endian integer.  They end at most 8 bytes below the TIDs,
 * within the page (the keys and the page header lie below).
 */
static inline char *
learned_tid_word_pointer(Page page, uint64 bit)
{
	return (char *) page + ((PageHeader) page)->pd_special - 8 - (bit >> 3);
}

static inline uint64
learned_load_tid_word(const char *p)
{
	uint64		word;

	memcpy(&word, p, sizeof(word));
#ifndef WORDS_BIGENDIAN
	word = pg_bswap64(word);
#endif
	return word;
}

static inline void
learned_store_tid_word(char *p, uint64 word)
{
#ifndef WORDS_BIGENDIAN
	word = pg_bswap64(word);
#endif
	memcpy(p, &word, sizeof(word));
}

/* The key every stored key of a leaf is an offset from. */
static inline int64
learned_leaf_base(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);

	return (opaque->flags & LEARNED_LEFTMOST) ? PG_INT64_MIN : opaque->low_fence.key;
}

/* Key i of a leaf. */
static inline int64
learned_leaf_key(Page page, int i)
{
	return (int64) ((uint64) learned_leaf_base(page) +
					learned_load_packed(LearnedLeafKeyPointer(page, i),
										LearnedLeafKeyBytes(page)));
}

/* Store key i of a leaf; it must fit the leaf's format (learned_leaf_fits). */
static inline void
learned_leaf_set_key(Page page, int i, int64 key)
{
	Assert(key >= learned_leaf_base(page));
	learned_store_packed(LearnedLeafKeyPointer(page, i),
						 (uint64) key - (uint64) learned_leaf_base(page),
						 LearnedLeafKeyBytes(page));
}

/* Unpack a TID of a leaf's format. */
static inline ItemPointerData
learned_tid_unpack(const LearnedLeafFormat *format, uint64 packed)
{
	ItemPointerData tid;

	ItemPointerSet(&tid, (BlockNumber) (packed >> format->offnum_bits),
				   (OffsetNumber) (packed & learned_max_bits(format->offnum_bits)));
	return tid;
}

/* Heap TID i of a leaf. */
static inline ItemPointerData
learned_leaf_tid(Page page, int i)
{
	const LearnedLeafFormat *format = LearnedLeafFormatOf(page);
	int			bits = format->block_bits + format->offnum_bits;
	uint64		bit = (uint64) i * bits;
	uint64		word = learned_load_tid_word(learned_tid_word_pointer(page, bit));

	return learned_tid_unpack(format, (word >> (bit & 7)) & learned_max_bits(bits));
}

/*
 * Store heap TID i of a leaf; it must fit the leaf's format.  The other
 * bits of the eight bytes it rewrites keep their values.
 */
static inline void
learned_leaf_set_tid(Page page, int i, ItemPointer tid)
{
	const LearnedLeafFormat *format = LearnedLeafFormatOf(page);
	int			bits = format->block_bits + format->offnum_bits;
	uint64		bit = (uint64) i * bits;
	uint64		mask = learned_max_bits(bits) << (bit & 7);
	char	   *p = learned_tid_word_pointer(page, bit);
	uint64		packed;

	Assert(ItemPointerGetBlockNumberNoCheck(tid) <=
		   learned_max_bits(format->block_bits));
	Assert(ItemPointerGetOffsetNumberNoCheck(tid) <=
		   learned_max_bits(format->offnum_bits));
	packed = ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << format->offnum_bits) |
		ItemPointerGetOffsetNumberNoCheck(tid);
	learned_store_tid_word(p, (learned_load_tid_word(p) & ~mask) |
						   (packed << (bit & 7)));
}

/* PostgreSQL 18 replaced pg_attribute_noreturn() by the C11 pg_noreturn. */
#if PG_VERSION_NUM >= 180000
pg_noreturn extern void learned_refuse_key_type(Oid typid);
#else
extern void learned_refuse_key_type(Oid typid) pg_attribute_noreturn();
#endif

/* Map a value of a supported type to the int64 key, preserving order. */
static inline int64
learned_datum_to_key(Datum value, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return (int64) DatumGetInt16(value);
		case INT4OID:
		case DATEOID:
			return (int64) DatumGetInt32(value);
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return DatumGetInt64(value);
		default:
			learned_refuse_key_type(typid);
	}
	return 0;					/* keep compiler quiet */
}

/* The inverse of learned_datum_to_key: once per row of an index-only scan. */
static inline Datum
learned_key_to_datum(int64 key, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return Int16GetDatum((int16) key);
		case INT4OID:
		case DATEOID:
			return Int32GetDatum((int32) key);
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return Int64GetDatum(key);
		default:
			learned_refuse_key_type(typid);
	}
	return (Datum) 0;			/* keep compiler quiet */
}

#define LearnedNullsTids(page)		((ItemPointer) PageGetContents(page))
#define LearnedNullsCount(page) \
	((int) ((((PageHeader) (page))->pd_lower - MAXALIGN(SizeOfPageHeaderData)) / sizeof(ItemPointerData)))

/*
 * Model page: one stage-2 record.  The fit maps a key to a position in the
 * list as it was when fitted (fit.start is then the list's first position
 * in the whole leaf order, or 0); splits insert new pages into the list, so
 * later positions drift and the lookup corrects with a search of the
 * fences.  A full list splits the record, and the new record enters its
 * parent: a record one level up, or the metapage's directory, which grows
 * a level when full (README, "Inserts and splits").  A record of level
 * L >= 2 (LEARNED_RECORD_UPPER) lists records of level L - 1 in the same
 * format, each by its first fence.  unlisted_splits counts leaves that
 * versions before levels left unlisted when the directory was full (a
 * lookup reaches them by moving right); nothing adds to it now.
 *
 * There are two fit slots: the one in force is fits[model_version & 1]
 * (model_version is in the metapage).  Retraining writes the other slot of
 * every record and then flips model_version in one metapage change, so a
 * crash leaves either the old model or the new one in force, never a mix
 * (README invariant 12).
 */
typedef struct LearnedRecordHeader
{
	RmiRecord	fits[2];
	uint32		npages;			/* pages in the list now */
	uint32		capacity;		/* LEARNED_RECORD_CAPACITY */
	uint32		splits;			/* splits that entered the list since the fit */
	uint32		unlisted_splits;	/* splits that could not enter it */
} LearnedRecordHeader;

#define LearnedRecordFit(header, model_version) \
	(&(header)->fits[(model_version) & 1])

#define LEARNED_RECORD_ENTRY_SIZE \
	(sizeof(int64) + sizeof(BlockNumber) + sizeof(ItemPointerData))
#define LEARNED_RECORD_CAPACITY \
	((LEARNED_CONTENTS_SIZE - MAXALIGN(sizeof(LearnedRecordHeader))) / LEARNED_RECORD_ENTRY_SIZE)

#define LearnedRecordGetHeader(page) \
	((LearnedRecordHeader *) PageGetContents(page))
#define LearnedRecordKeys(page) \
	((int64 *) ((char *) PageGetContents(page) + MAXALIGN(sizeof(LearnedRecordHeader))))
#define LearnedRecordBlocks(page) \
	((BlockNumber *) (LearnedRecordKeys(page) + LEARNED_RECORD_CAPACITY))
#define LearnedRecordTids(page) \
	((ItemPointer) (LearnedRecordBlocks(page) + LEARNED_RECORD_CAPACITY))

/* Metapage contents. */
typedef struct LearnedMetaPageData
{
	uint32		magic;
	uint32		version;
	uint32		generation;		/* bumped whenever the root changes */
	uint32		fillfactor;		/* leaf fill at build, percent */
	BlockNumber leaf_head;		/* leftmost leaf (never changes) */
	BlockNumber null_head;		/* first NULL page, or InvalidBlockNumber */
	BlockNumber null_tail;		/* a hint: the last NULL page seen */
	uint32		build_leaf_pages;
	uint64		build_entries;	/* non-NULL entries at build */
	uint64		build_nulls;
	int64		build_min_key;
	int64		build_max_key;
	uint32		pages_per_record;	/* list length per record at build */
	uint32		model_version;	/* fit slot in force; bumped by retraining */
	uint32		trained_nrecords;	/* records when the root was trained */
	uint32		directory_level;	/* level of the records listed below; 0
									 * (indexes from before levels) means 1 */
	double		mean_window;	/* mean model window, pages, when trained */
	uint32		max_window;
	/* how CREATE INDEX chose pages_per_record and the root (rmi_choose) */
	uint32		choice_flags;	/* LEARNED_CHOICE_* */
	uint32		choice_candidates;	/* (pages_per_record, root kind) pairs */
	int32		choice_reason;	/* RMI_CHOSEN_* */
	uint32		wal_flags;		/* LEARNED_WAL_*: how removals are logged */
	uint32		first_keys;		/* records whose first keys the directory
								 * keeps (LearnedMetaFirstKeys); valid only
								 * if equal to nrecords */
	double		choice_expected_pages;	/* per lookup, by the cost model */
	double		choice_search_cost; /* comparisons per lookup, model's */
	uint64		choice_cache_bytes; /* the whole model cached, estimated */
	uint64		cache_budget;	/* per-backend cache budget, bytes */
	RmiRoot		root;
	uint32		nrecords;
	BlockNumber records[FLEXIBLE_ARRAY_MEMBER];	/* model pages, key order */
} LearnedMetaPageData;

typedef LearnedMetaPageData *LearnedMetaPage;

/*
 * LearnedMetaPageData.wal_flags.  LEARNED_WAL_CLEANUP_REDO: every entry
 * removal logged since the flag was set is a record of the learned resource
 * manager, whose redo takes a cleanup lock (learned_xlog.c), so a hot
 * standby may run index-only scans.  VACUUM sets or clears it, WAL-logged,
 * before its first removal; CREATE INDEX sets it where the resource manager
 * is registered.  An index built before the flag existed reads 0 (the field
 * was unused and zero).
 */
#define LEARNED_WAL_CLEANUP_REDO		(1 << 0)

/* LearnedMetaPageData.choice_flags: what the reloptions pinned at build. */
#define LEARNED_CHOICE_PINNED_PAGES		(1 << 0)	/* pages_per_record */
#define LEARNED_CHOICE_PINNED_ROOT		(1 << 1)	/* root_model */

#define LearnedPageGetMeta(page)	((LearnedMetaPage) PageGetContents(page))
#define LEARNED_MAX_RECORDS \
	((LEARNED_CONTENTS_SIZE - MAXALIGN(offsetof(LearnedMetaPageData, records))) / sizeof(BlockNumber))

/*
 * directory_level took the alignment hole after trained_nrecords, so the
 * metapage of an index built before levels keeps its layout (the hole was
 * zero: level 1).  Where doubles align to 8 the hole is at offset 76.
 */
#if ALIGNOF_DOUBLE >= 8
StaticAssertDecl(offsetof(LearnedMetaPageData, directory_level) == 76 &&
				 offsetof(LearnedMetaPageData, mean_window) == 80,
				 "directory_level must fill the hole before mean_window");
StaticAssertDecl(offsetof(LearnedMetaPageData, first_keys) == 108 &&
				 offsetof(LearnedMetaPageData, choice_expected_pages) == 112,
				 "first_keys must fill the hole before choice_expected_pages");
#endif

/*
 * The directory's first keys: while the top level has at most
 * LEARNED_KEYED_RECORDS records, the metapage keeps each one's first key
 * (its first fence's key) at the end of the directory's space, where the
 * block numbers of that many records never reach.  A new session's lookup
 * then finds its record from the metapage alone, without the root's
 * guess (README, "The model").  They only steer: a route is confirmed by
 * the records' own fences, so keys that disagree cost pages, never rows.
 * first_keys is the count kept, 0 when there are more records (an index
 * from before first keys reads 0: its hole was zero).
 */
#define LEARNED_KEYED_RECORDS \
	((LEARNED_MAX_RECORDS * sizeof(BlockNumber) - MAXIMUM_ALIGNOF) / \
	 (sizeof(BlockNumber) + sizeof(int64)))
#define LearnedMetaFirstKeys(meta) \
	((int64 *) TYPEALIGN_DOWN(MAXIMUM_ALIGNOF, \
							  (char *) &(meta)->records[LEARNED_MAX_RECORDS] - \
							  LEARNED_KEYED_RECORDS * sizeof(int64)))
#define LearnedMetaHasFirstKeys(meta) \
	((meta)->first_keys == (meta)->nrecords && (meta)->nrecords <= LEARNED_KEYED_RECORDS)

/* The level of the records the metapage lists (1: they list leaves). */
#define LearnedMetaDirectoryLevel(meta) \
	((meta)->directory_level == 0 ? 1 : (meta)->directory_level)

/*
 * The level of a model page: 1 lists leaves (every record of an index
 * built before levels), L >= 2 lists records of level L - 1 in the same
 * entry format (README, "Pages").
 */
static inline uint32
learned_record_level(Page page)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);

	return (opaque->flags & LEARNED_RECORD_UPPER) ? opaque->nsorted : 1;
}

static inline void
learned_record_set_level(Page page, uint32 level)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(page);

	if (level <= 1)
	{
		opaque->flags &= ~LEARNED_RECORD_UPPER;
		opaque->nsorted = 0;
	}
	else
	{
		opaque->flags |= LEARNED_RECORD_UPPER;
		opaque->nsorted = (uint16) level;
	}
}

/*
 * A record page's high fence: the first fence of the record on its right,
 * kept in the special space by every page change that writes a record
 * (build, record split, level growth) and marked by LEARNED_RECORD_HIGH, so
 * that a lookup reading one record learns where the next one starts (README,
 * "The model").  Record pages of indexes from before it lack the flag.
 */
static inline void
learned_record_set_high_fence(Page recpage, const LearnedFence *next_first)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(recpage);

	opaque->flags |= LEARNED_RECORD_HIGH;
	if (next_first != NULL)
		opaque->high_fence = *next_first;
	else
		memset(&opaque->high_fence, 0, sizeof(LearnedFence));
}

/*
 * The first fence of the record right of recpage, if recpage keeps it (it
 * has a right neighbour and LEARNED_RECORD_HIGH).
 */
static inline bool
learned_record_high_fence(Page recpage, LearnedFence *high)
{
	LearnedPageOpaque opaque = LearnedPageGetOpaque(recpage);

	if (!(opaque->flags & LEARNED_RECORD_HIGH) ||
		opaque->right == InvalidBlockNumber)
		return false;
	*high = opaque->high_fence;
	return true;
}

/* The first fence a record page lists (immutable: README invariant 8). */
static inline LearnedFence
learned_record_first_fence(Page recpage)
{
	LearnedFence fence;

	fence.key = LearnedRecordKeys(recpage)[0];
	fence.tid = LearnedRecordTids(recpage)[0];
	return fence;
}

/* Reloptions */
typedef struct LearnedOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			fillfactor;
	int			root_model;		/* LEARNED_ROOT_AUTO or an RMI_ROOT_* kind */
	int			pages_per_record;
} LearnedOptions;

#define LEARNED_DEFAULT_FILLFACTOR	90
#define LEARNED_MIN_FILLFACTOR		10
#define LEARNED_ROOT_AUTO			0

/*
 * List length per record at build: leaves room for splits to enter it.  The
 * default, 0, lets CREATE INDEX choose among LEARNED_AUTO_PAGES_PER_RECORD
 * (learned_build.c); a value from the minimum up pins it.
 */
#define LEARNED_PAGES_PER_RECORD_AUTO		0
#define LEARNED_DEFAULT_PAGES_PER_RECORD	LEARNED_PAGES_PER_RECORD_AUTO
#define LEARNED_MIN_PAGES_PER_RECORD		8

/* CREATE INDEX progress phases (pg_stat_progress_create_index). */
#define LEARNED_PHASE_TABLESCAN		2
#define LEARNED_PHASE_SORT			3
#define LEARNED_PHASE_LEAVES		4
#define LEARNED_PHASE_TRAIN			5
#define LEARNED_PHASE_MODEL			6

/* ----------------------------------------------------------------
 *	Per-backend model cache and search keys (learned_cache.c)
 * ----------------------------------------------------------------
 */

/*
 * Memory budget of one backend's model cache for one index:
 * Min(LEARNED_CACHE_MAX_BYTES, Max(LEARNED_CACHE_MIN_BYTES, 1% of the index
 * size in bytes)).  The cache always holds the root and a directory of the
 * records (a LearnedCachedRecord of about 100 bytes each: under 1% of the
 * index, since every record has its own model page and a leaf); record
 * lists (about 18 bytes per leaf) are cached as lookups need them while the
 * budget allows, and searched on their model pages otherwise.  The build
 * may use LEARNED_CACHE_BUDGET to size the model so that every list fits.
 * The GUC learned.cache_budget_kb replaces the formula (for tests and
 * debugging); see learned_cache_budget().
 */
#define LEARNED_CACHE_MIN_BYTES		((Size) 64 * 1024)
#define LEARNED_CACHE_MAX_BYTES		((Size) 4 * 1024 * 1024)
#define LEARNED_CACHE_INDEX_PERCENT	1
#define LEARNED_CACHE_BUDGET(index_bytes) \
	((Size) Min((uint64) LEARNED_CACHE_MAX_BYTES, \
				Max((uint64) LEARNED_CACHE_MIN_BYTES, \
					(uint64) (index_bytes) / 100 * LEARNED_CACHE_INDEX_PERCENT)))

/*
 * What this backend knows of one stage-2 record.  Only block is known from
 * the start (the metapage's directory); the rest is read from the record's
 * model page the first time a lookup needs it.  A record's first fence
 * (position 0 of its list) never changes, so once read it routes lookups by
 * itself.  The list is cached only while the budget allows (fence_keys is
 * NULL otherwise), and a lookup landing in a record whose list is not
 * cached searches it on the model page.
 */
typedef struct LearnedCachedRecord
{
	BlockNumber block;			/* its model page */
	uint32		npages;			/* list length when last read */
	uint32		allocated;		/* room in the list below; 0: not cached */
	bool		loaded;			/* first_fence, fit and npages are valid */
	bool		first_known;	/* first_fence is valid: read from this
								 * page, or from its left neighbour's high
								 * fence */
	LearnedFence first_fence;
	RmiRecord	fit;			/* the fit in force when last read */
	int64	   *fence_keys;		/* one allocation: keys, then blocks, */
	BlockNumber *blocks;		/* then TIDs */
	ItemPointerData *fence_tids;
} LearnedCachedRecord;

/*
 * The list of a record below the top level (an index of several levels),
 * kept by block while the budget allows.  Like a top-level record's list it
 * may be stale, never wrong: lists only gain entries, so it names true
 * (fence, page) pairs, at or left of where a search must go on.
 */
typedef struct LearnedCachedList
{
	BlockNumber block;			/* hash key: the record's model page */
	uint32		npages;
	RmiRecord	fit;			/* the fit in force when read */
	int64	   *fence_keys;		/* one allocation: keys, then blocks, */
	BlockNumber *blocks;		/* then TIDs */
	ItemPointerData *fence_tids;
} LearnedCachedList;

/*
 * What the cache spends, as its budget counts it and as the cost model that
 * chooses pages_per_record at build (rmi_choose) expects: a fixed part (the
 * LearnedCache and its context's first block); per record, its directory
 * entry and the header of its list's allocation (and its first key, where
 * the metapage keeps them, which the cost model leaves out: at most
 * LEARNED_KEYED_RECORDS of 8 bytes); per listed leaf, a fence
 * key, TID and block.  These are the bytes the cache asks for, the same on
 * every PostgreSQL version; how the allocator rounds them into blocks is
 * not counted (LearnedCache.charged).  The budget is LEARNED_CACHE_BUDGET
 * of the index.
 */
#define LEARNED_CACHE_FIXED_BYTES \
	(sizeof(LearnedCache) + ALLOCSET_SMALL_INITSIZE)
#define LEARNED_CACHE_LIST_HEADER_BYTES	16
#define LEARNED_CACHE_BYTES_PER_LEAF \
	(sizeof(int64) + sizeof(ItemPointerData) + sizeof(BlockNumber))
#define LEARNED_CACHE_BYTES_PER_RECORD \
	(sizeof(LearnedCachedRecord) + LEARNED_CACHE_LIST_HEADER_BYTES)

typedef struct LearnedCache
{
	Oid			indexoid;		/* hash key */
	LearnedRelFile file;		/* relation file the cache was read from */
	MemoryContext context;		/* holds everything below */
	uint32		generation;
	uint32		model_version;	/* which fit slot of each record is in force */
	uint64		index_bytes;	/* index size when loaded, for the budget */
	RmiRoot		root;
	uint32		directory_level;	/* level of the records below */
	uint32		nrecords;
	LearnedCachedRecord *records;	/* the directory, in key order */
	int64	   *first_keys;		/* the directory's first keys, or NULL if
								 * the metapage keeps none */
	HTAB	   *lower;			/* block -> LearnedCachedList of records
								 * below the top level; NULL until one is
								 * kept */
	Size		charged;		/* what the budget counts (see above) */
} LearnedCache;

/*
 * How a search key compares with fences: the key x with the smallest
 * possible TID (first entry >= x), with the largest (last entry <= x), or
 * with an exact TID (an insertion).
 */
typedef enum LearnedSearchMode
{
	LEARNED_SEARCH_FIRST,
	LEARNED_SEARCH_LAST,
	LEARNED_SEARCH_EXACT
} LearnedSearchMode;

typedef struct LearnedSearchKey
{
	int64		key;
	ItemPointerData tid;		/* for LEARNED_SEARCH_EXACT */
	LearnedSearchMode mode;
} LearnedSearchKey;

/* Where the model says to start: the leaf and the record listing it. */
/*
 * Where the model sent a search: the leaf, the record of the top level it
 * went through, and the records of lower levels, top down (path[0..npath),
 * npath > LEARNED_TARGET_PATH when there were more than it holds), so that
 * a search that had to move right can refresh every list it used.
 */
#define LEARNED_TARGET_PATH		8

typedef struct LearnedTarget
{
	BlockNumber block;
	uint32		record;			/* index in the cache's records */
	uint32		npath;
	BlockNumber path[LEARNED_TARGET_PATH];
} LearnedTarget;

/*
 * A search that has moved right this many times has met many splits its
 * cache does not know (appends by other backends, say): it rereads the
 * record's list and starts again from where that points, rather than walk
 * past every new leaf.
 */
#define LEARNED_MOVES_BEFORE_REFRESH	3

/* ----------------------------------------------------------------
 *	Prototypes, under the file that defines them
 * ----------------------------------------------------------------
 */

/* learned_am.c */
extern bytea *learned_options(Datum reloptions, bool validate);
extern bool learned_validate(Oid opclassoid);
extern void learned_costestimate(PlannerInfo *root, IndexPath *path,
								 double loop_count, Cost *indexStartupCost,
								 Cost *indexTotalCost,
								 Selectivity *indexSelectivity,
								 double *indexCorrelation,
								 double *indexPages);
extern char *learned_buildphasename(int64 phasenum);

/* learned_build.c */
extern IndexBuildResult *learned_build(Relation heap, Relation index,
									   struct IndexInfo *indexInfo);
extern void learned_buildempty(Relation index);

/* learned_cache.c */
extern void learned_cache_init(void);
extern LearnedCache *learned_cache_get(Relation index);
extern LearnedTarget learned_cache_locate(Relation index,
										  const LearnedSearchKey *skey);
extern void learned_cache_refresh(Relation index, const LearnedTarget *target);
extern void learned_cache_reset(Relation index);
extern BlockNumber learned_cache_descend(Relation index,
										 const LearnedSearchKey *skey,
										 uint32 level);
extern uint32 learned_record_search_page(Page recpage, uint32 model_version,
										 const LearnedSearchKey *skey);
extern Size learned_cache_budget(Relation index);
extern Size learned_cache_bytes(Relation index);

/* learned_dead.c */

/*
 * Heap TIDs of entries with the new entry's key that the uniqueness check
 * found dead to everyone on the leaf it returns locked: known dead, so the
 * removal before a split can ask the heap only to confirm them (at most
 * this many are kept; the rest are left to the bottom-up pass).
 */
#define LEARNED_KNOWN_DEAD_MAX	64
typedef struct LearnedKnownDead
{
	int			n;
	ItemPointerData tids[LEARNED_KNOWN_DEAD_MAX];
} LearnedKnownDead;

extern bool learned_dead_removal_possible(Relation index);
extern void learned_dead_mark_locked(Relation index, Buffer buf);
extern void learned_dead_mark_block(Relation index, BlockNumber block);
extern bool learned_dead_remove(Relation index, Relation heap, Buffer buf,
								int64 newkey, bool index_unchanged,
								const LearnedKnownDead *known);

/* learned_format.c: leaf formats and split plans (no buffers) */

/* Where a full leaf splits, its new fence and the two pages' formats. */
typedef struct LearnedSplitPlan
{
	int			nleft;			/* entries the left page keeps */
	LearnedFence fence;			/* the new right page's low fence */
	LearnedLeafFormat left_format;
	LearnedLeafFormat right_format;
} LearnedSplitPlan;

extern void learned_leaf_format_init(LearnedLeafFormat *format);
extern void learned_leaf_format_add(LearnedLeafFormat *format, int64 base,
									int64 key, ItemPointer tid);
extern int	learned_leaf_plan(const int64 *keys, const ItemPointerData *tids,
							  int n, bool last, int64 base, int fillfactor,
							  LearnedLeafFormat *format);
extern bool learned_split_plan(const int64 *keys, const ItemPointerData *tids,
							   int total, int newpos, int64 base,
							   bool rightmost, int64 high_key, int fillfactor,
							   LearnedSplitPlan *plan);

/* learned_insert.c */
extern void learned_insert_init(void);
extern uint32 learned_record_capacity(void);
extern uint32 learned_directory_capacity(void);
extern uint32 learned_keyed_capacity(void);
extern void learned_record_write_list(Page page, uint32 level,
									  const int64 *keys,
									  const ItemPointerData *tids,
									  const BlockNumber *blocks, uint32 n,
									  uint32 capacity);
extern bool learned_insert(Relation index, Datum *values, bool *isnull,
						   ItemPointer ht_ctid, Relation heapRel,
						   IndexUniqueCheck checkUnique,
						   bool indexUnchanged,
						   struct IndexInfo *indexInfo);
extern Buffer learned_insert_find_leaf(Relation index,
									  const LearnedSearchKey *skey,
									  LearnedTarget *target,
									  bool *moved_right);
extern Buffer learned_insert_step_right(Relation index, Buffer buf,
										const LearnedSearchKey *skey);
extern void learned_insert_null(Relation index, ItemPointer tid);
extern void learned_nulls_create(Relation index, Buffer metabuf,
								 ItemPointer tid);
extern void learned_nulls_append_at_tail(Relation index, Buffer buf,
										 ItemPointer tid);

/* learned_page.c */
extern void learned_init_page(Page page, uint16 flags);
extern void learned_init_metapage(Page page, int fillfactor);
extern void learned_meta_set_directory(LearnedMetaPage meta,
									   const BlockNumber *blocks,
									   const int64 *first_keys, uint32 n);
extern void learned_meta_add_record(LearnedMetaPage meta, uint32 position,
									BlockNumber block, int64 first_key);
extern int	learned_fence_cmp(const LearnedFence *a, const LearnedFence *b);
extern int	learned_search_cmp(const LearnedSearchKey *skey, int64 key,
							   ItemPointer tid);
extern bool learned_search_beyond_page(const LearnedSearchKey *skey,
									   Page page);
extern int	learned_leaf_first_at_or_after(Page page, int64 key);
extern int	learned_leaf_first_after(Page page, int64 key);
extern void learned_leaf_set_count(Page page, int n);
extern bool learned_leaf_fits(Page page, int64 key, ItemPointer tid);
extern void learned_leaf_reformat(Page page, const LearnedLeafFormat *format);
extern void learned_leaf_write(Page page, const LearnedLeafFormat *format,
							   const int64 *keys, const ItemPointerData *tids,
							   int n);
extern void learned_leaf_append(Page page, int64 key, ItemPointer tid);
extern void learned_leaf_merge_pending(Page page);
extern void learned_leaf_merge_all(Page page);
extern int	learned_leaf_remove(Page page, const bool *dead);
extern int	learned_leaf_collect(Page page, int64 lo, int64 hi,
								 int64 *keys, ItemPointer tids);
extern void learned_nulls_set_count(Page page, int n);
extern Buffer learned_new_buffer(Relation index, ForkNumber fork);
extern void learned_check_page(Relation index, Buffer buf, uint16 kind);
extern void learned_read_metapage(Relation index, BufferAccessStrategy strategy,
								  Page copy);
extern Relation learned_open_index(Oid indexoid, LOCKMODE lockmode);
extern int	learned_get_fillfactor(Relation index);
extern uint32 learned_get_root_kinds(Relation index);
extern uint32 learned_get_pages_per_record(Relation index);
extern bool learned_type_supported(Oid typid);
extern Oid	learned_index_keytype(Relation index);

/* learned_parallel_build.c: parallel CREATE INDEX (PostgreSQL 17 on) */
struct dsm_segment;
struct shm_toc;
typedef struct LearnedSort LearnedSort;	/* learned_sort.c */
typedef struct LearnedParallelBuild LearnedParallelBuild;
extern LearnedParallelBuild *learned_build_parallel_begin(Relation heap,
														  Relation index,
														  bool isconcurrent,
														  int nworkers);
extern void learned_build_parallel_sort(LearnedParallelBuild *leader,
										Relation heap, Relation index,
										struct IndexInfo *indexInfo,
										double *indtuples, uint64 *nkeys);
extern bool learned_build_parallel_next(LearnedParallelBuild *leader,
										int64 *key, bool *isnull,
										ItemPointerData *tid, bool *alive);
extern void learned_build_parallel_end(LearnedParallelBuild *leader);
extern PGDLLEXPORT void learned_parallel_build_main(struct dsm_segment *seg,
													struct shm_toc *toc);

/* learned_retrain.c */
extern void learned_retrain_init(void);
extern bool learned_retrain(Relation index);
extern bool learned_model_drifted(Relation index);
extern void learned_record_refit(Page recpage, uint32 slot_mask);

/*
 * learned_scan.c, learned_parallel_scan.c: where a scan goes next.  A scan reads
 * the leaf chain one key interval at a time (an "= ANY" array has one per
 * element), then the NULL chain (forward; the reverse backward).  Its
 * position is the page to read next: a block of the current chain, or
 * InvalidBlockNumber for "find this chain's first page" (the interval's
 * first leaf through the model, the NULL chain's end through the
 * metapage).  A serial scan keeps it in scan memory; a parallel scan keeps
 * one in shared memory that the participants advance in turn, a page at a
 * time (README, "Parallel scans").
 */
typedef enum LearnedScanPhase
{
	LEARNED_SCAN_START,			/* nothing read yet */
	LEARNED_SCAN_KEYS,			/* in interval "interval" of the leaf chain */
	LEARNED_SCAN_NULLS,			/* in the NULL chain */
	LEARNED_SCAN_DONE
} LearnedScanPhase;

typedef struct LearnedScanPosition
{
	LearnedScanPhase phase;
	int			interval;		/* LEARNED_SCAN_KEYS: which interval */
	BlockNumber block;			/* next page, or InvalidBlockNumber: find it */
	BlockNumber from_block;		/* the page whose link gave block */
} LearnedScanPosition;

/* learned_parallel_scan.c */
#if PG_VERSION_NUM >= 180000
extern Size learned_estimateparallelscan(Relation index, int nkeys,
										 int norderbys);
#elif PG_VERSION_NUM >= 170000
extern Size learned_estimateparallelscan(int nkeys, int norderbys);
#else
extern Size learned_estimateparallelscan(void);
#endif
extern void learned_initparallelscan(void *target);
extern void learned_parallelrescan(IndexScanDesc scan);
extern bool learned_parallel_seize(IndexScanDesc scan,
								   LearnedScanPosition *position);
extern void learned_parallel_release(IndexScanDesc scan,
									 const LearnedScanPosition *next);

/* learned_scan.c */
extern IndexScanDesc learned_beginscan(Relation index, int nkeys, int norderbys);
extern void learned_rescan(IndexScanDesc scan, ScanKey keys, int nkeys,
						   ScanKey orderbys, int norderbys);
extern bool learned_gettuple(IndexScanDesc scan, ScanDirection dir);
extern int64 learned_getbitmap(IndexScanDesc scan, TIDBitmap *tbm);
extern void learned_endscan(IndexScanDesc scan);
/* learned_sort.c: CREATE INDEX's sort of (key, heap TID) entries */
extern double learned_estimated_rows(Relation heap);
extern LearnedSort *learned_sort_begin(int work_mem_kb, double expected);
extern void learned_sort_put(LearnedSort *sort, int64 key, ItemPointer tid);
extern void learned_sort_perform(LearnedSort *sort);
extern bool learned_sort_next(LearnedSort *sort, int64 *key,
							  ItemPointerData *tid);
extern void learned_sort_end(LearnedSort *sort);
extern LearnedSort *learned_sort_begin_run(int work_mem_kb,
										 double expected);
extern void learned_sort_put_run(LearnedSort *sort, int64 key, bool isnull,
								 ItemPointer tid, bool alive);
extern bool learned_sort_next_run(LearnedSort *sort, int64 *key,
								  bool *isnull, ItemPointerData *tid,
								  bool *alive);
struct BufFile;
struct SharedFileSet;
extern bool learned_read_entry(struct BufFile *file, void *entry,
							   size_t size);
extern void learned_sort_share_runs(LearnedSort *sort,
									struct SharedFileSet *fileset, int worker);
extern int	learned_sort_share_end(LearnedSort *sort, int *first);
extern void learned_sort_presort(LearnedSort *sort);
extern void learned_sort_add_worker_runs(LearnedSort *sort,
										 struct SharedFileSet *fileset,
										 int worker, int first, int count);

/*
 * learned_unique.c: the uniqueness check of an insert, and CREATE INDEX's
 * entries of live and recently dead tuples, checked for duplicates in a
 * unique index.
 */
extern Buffer learned_unique_check(Relation index, Datum *values,
								   bool *isnull, int64 key, ItemPointer tid,
								   Relation heap, IndexUniqueCheck mode,
								   bool *is_unique, LearnedTarget *target,
								   bool *moved_right,
								   LearnedKnownDead *known_dead);
extern bool learned_unique_insert_null(Relation index, Datum *values,
									   bool *isnull, ItemPointer tid,
									   Relation heap, IndexUniqueCheck mode);
typedef struct LearnedSpool LearnedSpool;
extern LearnedSpool *learned_spool_begin(Relation heap, Relation index,
										 bool unique);
extern void learned_spool_put(LearnedSpool *spool, int64 key, ItemPointer tid,
							  bool alive);
extern void learned_spool_note_null(LearnedSpool *spool, bool alive);
extern LearnedSpool *learned_spool_begin_merged(Relation heap, Relation index,
												bool unique,
												LearnedParallelBuild *merged);
extern void learned_spool_perform(LearnedSpool *spool);
extern bool learned_spool_next_null(LearnedSpool *spool, ItemPointerData *tid);
extern bool learned_spool_next(LearnedSpool *spool, int64 *key,
							   ItemPointerData *tid);
extern void learned_spool_end(LearnedSpool *spool);

/* learned_vacuum.c */
extern IndexBulkDeleteResult *learned_bulkdelete(IndexVacuumInfo *info,
												 IndexBulkDeleteResult *stats,
												 IndexBulkDeleteCallback callback,
												 void *callback_state);
extern IndexBulkDeleteResult *learned_vacuumcleanup(IndexVacuumInfo *info,
													IndexBulkDeleteResult *stats);

/* learned_wal.c */
extern void learned_leaf_append_logged(Relation index, Buffer buf, int64 key,
									   ItemPointer tid);
extern void learned_nulls_append_logged(Relation index, Buffer buf,
										ItemPointer tid);

/*
 * learned_xlog.c: the custom WAL resource manager.  Its id is fixed (WAL
 * written by one server is read by others): 200, in the custom range
 * 128..255, not RM_EXPERIMENTAL_ID.
 */
#define LEARNED_RMGR_ID		200
#define LEARNED_RMGR_NAME	"learned"

extern bool learned_rmgr_registered;
extern void learned_xlog_init(void);
extern void learned_vacuum_apply(Page page, const uint16 *positions, int ndead);
extern void learned_vacuum_log(Relation index, Buffer buf,
							   const uint16 *positions, int ndead);
extern void learned_delete_apply(Page page, const uint16 *positions, int ndead);
extern void learned_delete_log(Relation index, Relation heap, Buffer buf,
							   const uint16 *positions, int ndead,
							   TransactionId horizon);
extern bool learned_standby_ios_safe(Relation index);

#endif							/* LEARNED_H */
