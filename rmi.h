/*-------------------------------------------------------------------------
 *
 * rmi.h
 *	  Two-stage Recursive Model Index over a sorted array of int64 keys.
 *
 * This file, rmi.c (lookup) and rmi_train.c (training) have no PostgreSQL
 * dependency: they are compiled into the extension and, on their own, into
 * the model's unit test (test/rmi_test.c).  The model never allocates;
 * callers own all memory.
 *
 * Vocabulary.  As in the rest of the code and README.md: keys[] are the
 * leaves' low fences in chain order, a leaf is known here by its position
 * in that order, and a stage-2 record (RmiRecord: its fit) is a consecutive
 * run of leaves with its own fit; the root routes a key to a record.
 *
 * What the model predicts.  For a sorted (non-decreasing) array keys[0..n),
 * n >= 1, and any int64 x, the target leaf is
 *
 *		rmi_target(x) = max { i : keys[i] < x },  or 0 when no key is < x.
 *
 * As keys[] are the leaves' low fences, the target is the leaf where a search
 * for the first entry >= x must start: the rightmost leaf whose low fence is
 * below x (the first leaf's fence is treated as minus infinity).
 *
 * Stage 2 splits the leaves into consecutive records; record j covers
 * leaves [start, start + count) and its first_key is keys[start].  A lookup
 * for x is routed to
 *
 *		rmi_route(x) = max { j : record[j].first_key < x },  or 0.
 *
 * which always holds rmi_target(x).  The root (stage 1) predicts the record
 * with error bounds; the record's linear fit predicts the leaf with error
 * bounds.  Every bound is computed with the exact prediction code used at
 * lookup, and every prediction is monotone in x, so the bounds hold for all
 * int64 x, present in the training set or not (README invariant 2).
 *
 * Keys equal to fences.  A search in the index compares (key, heap TID)
 * against fences that are (key, heap TID) too, so for x equal to fence keys
 * it may start anywhere from rmi_target(x) to
 *
 *		rmi_target_le(x) = max { i : keys[i] <= x },  or 0
 *
 * (a forward scan from a fence (x, minus infinity) starts at it, a backward
 * scan at the last fence of key x, an exact search for (x, tid) in
 * between), and may be routed to any record from rmi_route(x) to the last
 * record whose first_key is <= x.  So the bounds are wider than
 * rmi_target alone needs: the root's window at x holds every record from
 * max { j : first_key < x } to max { j : first_key <= x }, and a record's
 * window at every x from its first_key (INT64_MIN for record 0) to the
 * next record's first_key, both included, holds every position of the
 * record from max { i : keys[i] < x } to max { i : keys[i] <= x } (each
 * the record's first position when there is none).  A window therefore
 * spans a whole run of equal keys: the search over it is exact either way,
 * and a narrower window would only move the search outside it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RMI_H
#define RMI_H

#include <stdint.h>

/*
 * Root model kinds (stored on disk: never renumber).
 *
 * RMI_ROOT_LINEAR: record = floor(coef[0] + coef[1] * d), clamped, with
 * d = x - min_key as a double (0 for x <= min_key) and coef[1] >= 0;
 * coef[2] and coef[3] are unused and zero.
 */
#define RMI_ROOT_LINEAR		1

/*
 * RMI_ROOT_CUBIC: record = floor(coef[0] + S(d)), clamped, with d as for
 * the linear root and
 *
 *		S(d) = coef[3] * u * (u * u) + coef[1] * d,	u = d - coef[2],
 *
 * each operation rounded to IEEE double in that order (see rmi.c).  This is
 * the cubic c0 + c1*d + c2*d^2 + c3*d^3 written as
 *
 *		coef[0] + coef[1] * d + coef[3] * (d - coef[2])^3
 *
 * (coef[0] an intercept, coef[1] >= 0 a slope, coef[2] the inflection point
 * in the units of d, coef[3] >= 0 the cubic term): exactly the cubics whose
 * derivative is never negative, so the prediction is monotone over the
 * whole int64 domain without clamping d, and each rounded step is monotone
 * too.  No scale is stored: coefficients are in the units of d.
 */
#define RMI_ROOT_CUBIC		2

/*
 * RMI_ROOT_SPLINE: record = floor(coef[0] + S(x)), clamped, where S is the
 * piecewise-linear interpolation through nknots knots (knot_key[i],
 * knot_pos[i]), knot_key strictly increasing and knot_pos non-decreasing:
 * S(x) = knot_pos[0] for x <= knot_key[0], knot_pos[nknots - 1] for
 * x >= knot_key[nknots - 1], and in between, for knot_key[i] <= x <
 * knot_key[i + 1],
 *
 *		S(x) = min(knot_pos[i] + slope * (x - knot_key[i]), knot_pos[i + 1]),
 *		slope = (knot_pos[i + 1] - knot_pos[i]) / (knot_key[i + 1] - knot_key[i])
 *
 * each operation rounded to IEEE double in that order (see rmi.c).  Each
 * piece stays within its two knots' values, so S is monotone by
 * construction, rounding included.  The knots are points of the records'
 * first-key CDF chosen by training (see fit_spline in rmi_train.c); coef[1..3]
 * are unused and zero.
 */
#define RMI_ROOT_SPLINE		3

/*
 * Knots of a spline root, at most.  The root is stored in the index's
 * metapage, where every byte it takes is a byte less for the record
 * directory: 16 knots cost 192 bytes, 48 directory entries.
 */
#define RMI_SPLINE_MAX_KNOTS	16

/* rmi_train_root's kinds_mask: bit (1u << RMI_ROOT_x) enables kind x. */
#define RMI_ROOT_KINDS_ALL	((1u << RMI_ROOT_LINEAR) | (1u << RMI_ROOT_CUBIC) | \
							 (1u << RMI_ROOT_SPLINE))

/*
 * A record's fit predicts floor(intercept + slope * d), clamped, with
 * d = x - first_key as for the root.  Both stages round the product and the
 * sum to IEEE double separately (never a fused multiply-add), so the stored
 * bounds hold in every build that reads them.
 *
 * Error bounds are exact, so never above the number of leaves covered; a
 * bound too large for int32 is stored as INT32_MAX, which lookups read as
 * "unbounded".
 */

/* A stage-2 record's fit: a linear map from key to leaf within the record. */
typedef struct RmiRecord
{
	int64_t		first_key;		/* keys[start] */
	uint32_t	start;			/* first leaf covered */
	uint32_t	count;			/* number of leaves covered, >= 1 */
	double		slope;			/* >= 0 */
	double		intercept;
	int32_t		err_lo;			/* target >= predicted - err_lo */
	int32_t		err_hi;			/* target <= predicted + err_hi */
} RmiRecord;

/* Stage-1 root: a monotone map from key to record number. */
typedef struct RmiRoot
{
	int32_t		type;			/* RMI_ROOT_* */
	uint32_t	nrecords;
	int64_t		min_key;		/* keys[0] at training */
	double		coef[4];		/* meaning depends on type */
	int32_t		err_lo;			/* route >= predicted - err_lo */
	int32_t		err_hi;			/* route <= predicted + err_hi */
	/* RMI_ROOT_SPLINE only; zero otherwise */
	uint32_t	nknots;			/* 2..RMI_SPLINE_MAX_KNOTS */
	uint32_t	knot_pos[RMI_SPLINE_MAX_KNOTS];	/* record number at the knot */
	int64_t		knot_key[RMI_SPLINE_MAX_KNOTS];
} RmiRoot;

/* Number of records rmi_train makes for n leaves. */
extern uint32_t rmi_record_count(uint32_t n, uint32_t leaves_per_record);

/*
 * Train on keys[0..n) (sorted, n >= 1) with records of
 * leaves_per_record leaves (the last may be shorter; 0 is taken as 1).
 * records must have room for rmi_record_count(n, leaves_per_record)
 * records.  The root is trained by rmi_train_root
 * with RMI_ROOT_KINDS_ALL (rmi_train) or with kinds_mask (rmi_train_kinds).
 */
extern void rmi_train(const int64_t *keys, uint32_t n,
					  uint32_t leaves_per_record,
					  RmiRoot *root, RmiRecord *records);
extern void rmi_train_kinds(const int64_t *keys, uint32_t n,
							uint32_t leaves_per_record,
							uint32_t kinds_mask,
							RmiRoot *root, RmiRecord *records);

/*
 * (Re)train the root over the records' fits records[0..nrecords),
 * already filled in (by rmi_train or by the caller, with first_key
 * non-decreasing): sets every field of *root, with min_key =
 * records[0].first_key.  Each kind whose bit (1u << RMI_ROOT_x) is set in
 * kinds_mask is fitted and the one that sends the fewest lookups to a
 * wrong record first (RMI_MISS_RANK of rmi_root_miss_rate), then whose
 * search is cheapest (rmi_root_search_cost), is kept, ties going to the
 * simpler kind (linear, then cubic, then spline).  A mask with no known kind's bit, or a mask of
 * kinds none of which can be fitted (a cubic needs 4 distinct first keys),
 * gives a linear root.  Never allocates; O(nrecords) per candidate model
 * (a few dozen candidates per kind).
 */
extern void rmi_train_root(RmiRoot *root, const RmiRecord *records,
						   uint32_t nrecords, uint32_t kinds_mask);

/*
 * Comparisons a lookup spends in the root, as a cost to compare models:
 * log2 of its window in records (the binary search of the records' first
 * keys over it), plus log2 of the knots for a spline.
 */
extern double rmi_root_search_cost(const RmiRoot *root);

/*
 * The share of lookups whose first record read, the root's prediction, is
 * not the record that holds the key (a lookup without the record
 * boundaries cached, as a new session's, then reads a neighbour too).
 * Estimated from the records' first keys alone, as if each record's keys
 * were spread evenly between its first key and the next record's: the
 * mean over records 0 .. nrecords - 2 of the part of that range the root
 * sends elsewhere.  0 for fewer than two records.
 */
extern double rmi_root_miss_rate(const RmiRoot *root, const RmiRecord *records,
								 uint32_t nrecords);

/*
 * The rank of a miss rate when root kinds are compared: whole twentieths
 * (rounded down), so that small differences in the estimate mostly tie
 * and the search cost decides; one lookup in 20 fewer astray always ranks
 * better.
 */
#define RMI_MISS_RANK(rate)	((int64_t) floor((rate) * 20.0))

/* "linear", "cubic", "spline" or "unknown". */
extern const char *rmi_root_kind_name(int32_t type);

/*
 * Mean and largest window (rmi_record_window, in leaves) over the
 * training keys themselves, each routed exactly; 1 and 1 when n or
 * nrecords is 0.
 */
extern void rmi_window_stats(const int64_t *keys, uint32_t n,
							 const RmiRecord *records, uint32_t nrecords,
							 double *mean_window, uint32_t *max_window);

/*
 * The cost model of the choice of leaves per record: what a lookup reads.
 *
 * A lookup reads one leaf page.  It finds the leaf in memory when its
 * record's list is cached; otherwise it first reads the record's page
 * (one more page) and searches the list there.  The windows cost
 * comparisons, never pages: both searches are exact over the list.  The
 * per-backend cache holds the root and every record's fit (fixed_bytes +
 * bytes_per_record each) and then lists (bytes_per_leaf per listed
 * leaf) while the budget lasts; with lookups spread evenly, the share
 * of lookups whose list is not cached is the share of the lists that do
 * not fit.
 */
typedef struct RmiCacheModel
{
	double		budget_bytes;	/* the cache's budget for this index */
	double		fixed_bytes;	/* always held: the root and bookkeeping */
	double		bytes_per_record;	/* always held per record */
	double		bytes_per_leaf; /* per listed leaf, while cached */
} RmiCacheModel;

/* Bytes of the whole model: fixed + records + every list. */
extern double rmi_cache_bytes(const RmiCacheModel *cm, double nleaves,
							  uint32_t nrecords);

/* Expected pages per lookup: 1 + the share of lookups whose list is not cached. */
extern double rmi_expected_pages(const RmiCacheModel *cm, double nleaves,
								 uint32_t nrecords);

/*
 * Why rmi_choose kept its number of leaves per record: the weakest
 * criterion it needed against the best candidate of every other size.
 */
#define RMI_CHOSEN_ONLY		1	/* the only record size */
#define RMI_CHOSEN_PAGES	2	/* fewest expected pages per lookup */
#define RMI_CHOSEN_SEARCH	3	/* tied on pages: the cheapest search */
#define RMI_CHOSEN_CACHE	4	/* tied on both: the smallest cache */
#define RMI_CHOSEN_ORDER	5	/* tied on all three: the first candidate */

/* Record sizes (leaves per record) rmi_choose compares, at most. */
#define RMI_CHOOSE_MAX_CANDIDATES	8

typedef struct RmiChoice
{
	uint32_t	leaves_per_record;
	int32_t		root_type;
	uint32_t	ncandidates;	/* (record size, root kind) pairs compared */
	int32_t		reason;			/* RMI_CHOSEN_* */
	double		expected_pages; /* rmi_expected_pages */
	double		search_cost;	/* comparisons: root's plus log2(mean_window) */
	double		cache_bytes;	/* rmi_cache_bytes */
	double		mean_window;	/* rmi_window_stats */
	uint32_t	max_window;
} RmiChoice;

/*
 * Choose the record size and the root kind for keys[0..n): train every
 * pair of candidates[0..ncandidates) (leaves per record, 1 to
 * RMI_CHOOSE_MAX_CANDIDATES of them) and root kinds in kinds_mask.  Each
 * record size keeps the root kind rmi_train_root would (fewest lookups
 * astray by RMI_MISS_RANK, then the cheapest search, then the simpler
 * kind); of those, keep the one with the fewest expected pages per lookup
 * (in thousandths of a page), then the cheapest search
 * (rmi_root_search_cost + log2 of the mean record window, in quarters of a
 * comparison), then the smallest cache, then the earliest candidate.  On
 * return root and records hold the chosen
 * model, trained as rmi_train_kinds would; records must have room for
 * rmi_record_count(n, c) entries for every candidate c.  Returns 0 (and
 * trains nothing) if ncandidates is out of range or kinds_mask names no
 * kind.  Never allocates.
 */
extern int	rmi_choose(const int64_t *keys, uint32_t n,
					   const uint32_t *candidates, int ncandidates,
					   uint32_t kinds_mask, const RmiCacheModel *cm,
					   RmiRoot *root, RmiRecord *records,
					   RmiChoice *choice);

/* Root prediction, clamped to [0, nrecords - 1]. */
extern uint32_t rmi_root_predict(const RmiRoot *root, int64_t x);

/*
 * rmi_route(x), exactly: the root's prediction narrowed by a binary search
 * of the records' first_key over the root's error window (falling back to
 * all records if the window is wrong, which a trained model never is).
 */
extern uint32_t rmi_find_record(const RmiRoot *root,
								 const RmiRecord *records, int64_t x);

/* A record's predicted leaf, from rec->start, clamped to [0, count - 1]. */
extern uint32_t rmi_record_predict(const RmiRecord *rec, int64_t x);

/*
 * Window of leaves [*lo, *hi], in the whole leaf order, that holds
 * rmi_target(x) for every x routed to this record.
 */
extern void rmi_record_window(const RmiRecord *rec, int64_t x,
							   uint32_t *lo, uint32_t *hi);

/*
 * The last leaf p of a record's list, p in [0, nleaves), whose fence is
 * at or before the search, that is for which at_or_before(ctx, p) is true,
 * list entry 0 always counting (it is never asked about).  The predicate
 * must be monotone: true for a prefix of the list and false after it.  With
 * "keys[p] < x" it gives rmi_target(x) over the list keys[0..nleaves).
 *
 * The list is the record's as it is now: entries are counted from its
 * first leaf (leaf rec->start at training), and it may have grown or been
 * cut since rec was fitted.  The fit's window (rmi_record_window) is
 * only a hint: it is clamped to nleaves, checked with at most two calls,
 * and where the answer lies outside it the whole list on that side is
 * searched, so the result is exact however stale the fit.  With a correct
 * window the cost is those two calls plus a binary search of the window.
 * nleaves 0 or 1 gives 0 without any call.
 */
extern uint32_t rmi_record_search(const RmiRecord *rec, int64_t x,
								   uint32_t nleaves,
								   int (*at_or_before) (const void *ctx,
														uint32_t position),
								   const void *ctx);

/*
 * Both stages: the window [*lo, *hi] of leaves, in the whole leaf order,
 * that holds rmi_target(x).
 */
extern void rmi_lookup(const RmiRoot *root, const RmiRecord *records,
					   int64_t x, uint32_t *lo, uint32_t *hi);

#endif							/* RMI_H */
