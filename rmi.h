/*-------------------------------------------------------------------------
 *
 * rmi.h
 *	  Two-stage Recursive Model Index over a sorted array of int64 keys.
 *
 * This file and rmi.c have no PostgreSQL dependency: they are compiled into
 * the extension and, on their own, into the model's unit test
 * (test/rmi_test.c).  The model never allocates; callers own all memory.
 *
 * What the model predicts.  For a sorted (non-decreasing) array keys[0..n),
 * n >= 1, and any int64 x, the target position is
 *
 *		rmi_target(x) = max { i : keys[i] < x },  or 0 when no key is < x.
 *
 * In the index, keys[] are the low fences of the leaf pages in chain order, so
 * the target is the leaf where a search for the first entry >= x must start:
 * the rightmost page whose low fence is below x (the first page's fence is
 * treated as minus infinity).
 *
 * Stage 2 splits the positions into consecutive segments; segment j covers
 * positions [start, start + count) and its first_key is keys[start].  A
 * lookup for x is routed to
 *
 *		rmi_route(x) = max { j : segment[j].first_key < x },  or 0.
 *
 * which always holds rmi_target(x).  The root (stage 1) predicts the segment
 * with error bounds; the segment's linear fit predicts the position with
 * error bounds.  Every bound is computed with the exact prediction code used
 * at lookup, and every prediction is monotone in x, so the bounds hold for all
 * int64 x, present in the training set or not.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RMI_H
#define RMI_H

#include <stdint.h>

/*
 * Root model kinds (stored on disk: never renumber).
 *
 * RMI_ROOT_LINEAR: segment = floor(coef[0] + coef[1] * d), clamped, with
 * d = x - min_key as a double (0 for x <= min_key) and coef[1] >= 0;
 * coef[2] and coef[3] are unused and zero.
 */
#define RMI_ROOT_LINEAR		1

/*
 * RMI_ROOT_CUBIC: segment = floor(coef[0] + S(d)), clamped, with d as for
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

/* rmi_train_root's kinds_mask: bit (1u << RMI_ROOT_x) enables kind x. */
#define RMI_ROOT_KINDS_ALL	((1u << RMI_ROOT_LINEAR) | (1u << RMI_ROOT_CUBIC))

/*
 * A segment predicts floor(intercept + slope * d), clamped, with
 * d = x - first_key as for the root.  Both stages round the product and the
 * sum to IEEE double separately (never a fused multiply-add), so the stored
 * bounds hold in every build that reads them.
 *
 * Error bounds are exact, so never above the number of entries covered; a
 * bound too large for int32 is stored as INT32_MAX, which lookups read as
 * "unbounded".
 */

/* Stage-2 segment: a linear fit from key to position within the segment. */
typedef struct RmiSegment
{
	int64_t		first_key;		/* keys[start] */
	uint32_t	start;			/* first position covered */
	uint32_t	count;			/* number of positions covered, >= 1 */
	double		slope;			/* >= 0 */
	double		intercept;
	int32_t		err_lo;			/* target >= predicted - err_lo */
	int32_t		err_hi;			/* target <= predicted + err_hi */
} RmiSegment;

/* Stage-1 root: a monotone map from key to segment number. */
typedef struct RmiRoot
{
	int32_t		type;			/* RMI_ROOT_* */
	uint32_t	nsegments;
	int64_t		min_key;		/* keys[0] at training */
	double		coef[4];		/* meaning depends on type */
	int32_t		err_lo;			/* route >= predicted - err_lo */
	int32_t		err_hi;			/* route <= predicted + err_hi */
} RmiRoot;

/* Number of segments rmi_train makes for n positions. */
extern uint32_t rmi_segment_count(uint32_t n, uint32_t positions_per_segment);

/*
 * Train on keys[0..n) (sorted, n >= 1) with segments of
 * positions_per_segment positions (the last may be shorter; 0 is taken as
 * 1).  segments must have room for rmi_segment_count(n,
 * positions_per_segment) entries.  The root is trained by rmi_train_root
 * with RMI_ROOT_KINDS_ALL.
 */
extern void rmi_train(const int64_t *keys, uint32_t n,
					  uint32_t positions_per_segment,
					  RmiRoot *root, RmiSegment *segments);

/*
 * (Re)train the root over segments[0..nsegments), already filled in (by
 * rmi_train or by the caller, with first_key non-decreasing): sets every
 * field of *root, with min_key = segments[0].first_key.  Each kind whose bit
 * (1u << RMI_ROOT_x) is set in kinds_mask is fitted and the one with the
 * narrowest exact window (err_lo + err_hi + 1) is kept, ties going to
 * RMI_ROOT_LINEAR.  A mask with no known kind's bit, or a cubic-only mask
 * for which no usable cubic exists (fewer than 4 distinct first keys, say),
 * gives a linear root.  Never allocates; O(nsegments) per candidate model.
 */
extern void rmi_train_root(RmiRoot *root, const RmiSegment *segments,
						   uint32_t nsegments, uint32_t kinds_mask);

/* "linear", "cubic" or "unknown". */
extern const char *rmi_root_kind_name(int32_t type);

/* Root prediction, clamped to [0, nsegments - 1]. */
extern uint32_t rmi_root_predict(const RmiRoot *root, int64_t x);

/*
 * rmi_route(x), exactly: the root's prediction narrowed by a binary search
 * of first_key over the root's error window (falling back to the whole array
 * if the window is wrong, which a trained model never is).
 */
extern uint32_t rmi_find_segment(const RmiRoot *root,
								 const RmiSegment *segments, int64_t x);

/* Segment prediction relative to seg->start, clamped to [0, count - 1]. */
extern uint32_t rmi_segment_predict(const RmiSegment *seg, int64_t x);

/*
 * Window of absolute positions [*lo, *hi] that holds rmi_target(x) for
 * every x routed to this segment.
 */
extern void rmi_segment_window(const RmiSegment *seg, int64_t x,
							   uint32_t *lo, uint32_t *hi);

/*
 * The last position p in [0, npositions) whose entry is at or before the
 * search, that is for which at_or_before(ctx, p) is true, position 0 always
 * counting (it is never asked about).  The predicate must be monotone: true
 * for a prefix of the positions and false after it.  With "keys[p] < x" it
 * gives rmi_target(x) over the list keys[0..npositions).
 *
 * The list is the segment's as it is now: positions are relative to its
 * first entry (position seg->start at training), and it may have grown or
 * been cut since seg was fitted.  The fit's window (rmi_segment_window) is
 * only a hint: it is clamped to npositions, checked with at most two calls,
 * and where the answer lies outside it the whole list on that side is
 * searched, so the result is exact however stale the fit.  With a correct
 * window the cost is those two calls plus a binary search of the window.
 * npositions 0 or 1 gives 0 without any call.
 */
extern uint32_t rmi_segment_search(const RmiSegment *seg, int64_t x,
								   uint32_t npositions,
								   int (*at_or_before) (const void *ctx,
														uint32_t position),
								   const void *ctx);

/* Both stages: window [*lo, *hi] of absolute positions holding rmi_target(x). */
extern void rmi_lookup(const RmiRoot *root, const RmiSegment *segments,
					   int64_t x, uint32_t *lo, uint32_t *hi);

#endif							/* RMI_H */
