/*-------------------------------------------------------------------------
 *
 * rmi.c
 *	  Lookup in the two-stage Recursive Model Index: the root's and a
 *	  record's prediction, their error windows and the searches within
 *	  them.  Training (rmi_train.c) computes every error bound with these
 *	  very functions, so the bounds hold for what lookups compute.
 *
 * See rmi.h for what the model predicts.  A model is a line through
 * (x - base, r), floored and clamped, or for the root optionally a monotone
 * cubic (rmi_cubic_shape) or a monotone spline (rmi_spline_shape).  Each
 * step of that computation is monotone non-decreasing in x, which is what
 * lets training bound the error over every int64 x from finitely many
 * points (rmi_train.c).
 *
 * The bounds are stored with the model (on disk, in the index), so the
 * prediction must give bit-identical results in whichever build reads them;
 * see rmi_linear_shape for how floating-point contraction is kept out.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rmi.h"
#include "rmi_internal.h"

/*
 * Stored error bounds saturate at INT32_MAX, which then means "unbounded".
 * A bound can only get there when a record (or the root) covers more than
 * 2^31 entries; the window clamp still keeps lookups inside the record.
 */
#define RMI_ERR_UNBOUNDED	(INT64_C(1) << 32)

/*
 * x - base as a double, 0 at or below base.  The subtraction is done in
 * uint64 so that keys spanning the whole int64 range cannot overflow; the
 * difference is then below 2^64 and converts exactly up to rounding, which
 * is monotone.
 */
double
rmi_key_diff(int64_t base, int64_t x)
{
	if (x <= base)
		return 0.0;
	return (double) ((uint64_t) x - (uint64_t) base);
}

/*
 * Every model predicts floor(intercept + shape(x)), clamped to [0, last],
 * where shape is monotone non-decreasing in x and does not depend on the
 * intercept (so training can fix the shape first and the intercept after).
 *
 * Every rounding step goes through a volatile double.  Without that, a
 * compiler may fuse a product and a sum into one fused multiply-add (GCC
 * does so across statements by default in GNU C mode on FMA hardware) or
 * keep them at extended precision (x87).  Either is monotone, but the
 * bounds stored in an index would then only hold for builds that happen to
 * make the same choice.  Forcing each rounding to IEEE double makes every
 * build agree.
 */

/* slope * (x - base): the linear shape */
double
rmi_linear_shape(int64_t base, double slope, int64_t x)
{
	volatile double prod;

	prod = slope * rmi_key_diff(base, x);
	return prod;
}

/*
 * The cubic shape (RMI_ROOT_CUBIC, see rmi.h), with d = x - base:
 *
 *		c3 * (u * (u * u)) + c1 * d,	u = d - a.
 *
 * Why it is monotone non-decreasing in x as evaluated in IEEE double with
 * round-to-nearest, given c1 >= 0 and c3 >= 0 (training guarantees both;
 * a damaged root is caught by rmi_find_record's window check):
 *
 * - d = rmi_key_diff(base, x) is non-decreasing in x (see rmi_key_diff), and >= 0.
 * - u = fl(d - a) is non-decreasing in d: rounding is a non-decreasing
 *   function of the exact value, and d - a is increasing in d.
 * - w = fl(u * u) depends only on |u| (rounding to nearest is symmetric:
 *   fl(-v) = -fl(v)) and is non-decreasing in |u|.
 * - q = fl(u * w): for u >= 0 it is a rounded product of two non-negative
 *   non-decreasing functions of u, so non-decreasing; for u <= 0 it equals
 *   -fl(|u| * w(|u|)), the negation of a function non-decreasing in |u|,
 *   so again non-decreasing in u; and it is <= 0 for u <= 0 and >= 0 for
 *   u >= 0, so it is non-decreasing across zero as well.  (Computing
 *   (u * u) * u would be the same product; what matters is that the cube is
 *   formed as one odd function of u, never as a polynomial in d with terms
 *   of both signs, whose rounded sum could wobble.)
 * - fl(c3 * q) and fl(c1 * d) are non-decreasing (non-negative constants
 *   times non-decreasing values), and so is the rounded sum of two
 *   non-decreasing values, and then intercept + that sum, floor and the
 *   clamp.
 *
 * Nothing can overflow to produce inf - inf: training keeps |a| and both
 * coefficients finite and checks that each term is finite at d = 0 and at
 * the largest d (2^64), and each term is monotone, so it is finite in
 * between.  The cubic is never flattened by clamping d: c1 >= 0 and c3 >= 0
 * make its derivative c1 + 3 c3 (d - a)^2 non-negative everywhere, so no
 * stored range is needed.
 */
double
rmi_cubic_shape(int64_t base, const double *coef, int64_t x)
{
	double		d = rmi_key_diff(base, x);
	volatile double u;
	volatile double w;
	volatile double q;
	volatile double t3;
	volatile double t1;
	volatile double s;

	u = d - coef[2];
	w = u * u;
	q = u * w;
	t3 = coef[3] * q;
	t1 = coef[1] * d;
	s = t3 + t1;
	return s;
}

/*
 * The spline shape (RMI_ROOT_SPLINE, see rmi.h): linear interpolation
 * between the two knots around x, capped at the right knot's position.
 *
 * Why it is monotone non-decreasing in x as evaluated:
 *
 * - The piece is found by comparing int64 keys, exactly.
 * - Within piece i, d = rmi_key_diff(knot_key[i], x) is non-decreasing in x and
 *   >= 0; slope = fl(fl(p1 - p0) / fl(span)) is a constant >= 0 (p1 >= p0,
 *   and both positions are integers, so p1 - p0 is exact); fl(slope * d)
 *   is non-decreasing and >= 0; fl(p0 + that) is non-decreasing and >= p0.
 *   The cap min(., p1) keeps it non-decreasing and at most p1.
 * - At the next knot the next piece starts at p1 exactly (d = 0), which is
 *   at least anything the piece before gave, and every later value is at
 *   least that.  Below the first knot the shape is knot_pos[0] and from the
 *   last knot on knot_pos[nknots - 1]: the smallest and largest values.
 *
 * Nothing can overflow: positions are below 2^32 and span >= 1.  A root
 * with fewer than two knots (damaged) gives knot_pos[0] or 0, a constant.
 */
double
rmi_spline_shape(const RmiRoot *root, int64_t x)
{
	uint32_t	nknots = root->nknots;
	uint32_t	lo;
	uint32_t	hi;
	double		p0;
	double		p1;
	volatile double span;
	volatile double rise;
	volatile double slope;
	volatile double prod;
	volatile double sum;

	if (nknots < 2 || nknots > RMI_SPLINE_MAX_KNOTS)
		return nknots == 1 ? (double) root->knot_pos[0] : 0.0;
	if (x <= root->knot_key[0])
		return (double) root->knot_pos[0];
	if (x >= root->knot_key[nknots - 1])
		return (double) root->knot_pos[nknots - 1];

	/* the last knot at or below x: knot_key[lo] <= x < knot_key[lo + 1] */
	lo = 0;
	hi = nknots - 2;
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo + 1) / 2;

		if (root->knot_key[mid] <= x)
			lo = mid;
		else
			hi = mid - 1;
	}

	p0 = (double) root->knot_pos[lo];
	p1 = (double) root->knot_pos[lo + 1];
	span = rmi_key_diff(root->knot_key[lo], root->knot_key[lo + 1]);
	rise = p1 - p0;
	slope = rise / span;
	prod = slope * rmi_key_diff(root->knot_key[lo], x);
	sum = p0 + prod;
	/* written so that a NaN (damaged knots) takes the cap */
	if (!(sum <= p1))
		return p1;
	return sum;
}

/* floor(intercept + shape), clamped to [0, last] */
uint32_t
rmi_floor_clamp(double intercept, double shape, uint32_t last)
{
	volatile double sum;
	double		p;

	sum = intercept + shape;
	p = floor(sum);

	/* written so that a NaN (corrupt coefficients) lands on 0 */
	if (!(p > 0.0))
		return 0;
	if (p >= (double) last)
		return last;
	return (uint32_t) p;
}

/* A stored bound as a usable distance; see RMI_ERR_UNBOUNDED. */
static inline int64_t
err_value(int32_t err)
{
	if (err < 0)
		return 0;
	if (err == INT32_MAX)
		return RMI_ERR_UNBOUNDED;
	return err;
}

int32_t
rmi_err_store(int64_t err)
{
	return (err >= INT32_MAX) ? INT32_MAX : (int32_t) err;
}

uint32_t
rmi_record_count(uint32_t n, uint32_t leaves_per_record)
{
	uint32_t	pps = leaves_per_record ? leaves_per_record : 1;

	/* not (n + pps - 1) / pps, which overflows for large pps */
	return n / pps + (n % pps != 0);
}

const char *
rmi_root_kind_name(int32_t type)
{
	switch (type)
	{
		case RMI_ROOT_LINEAR:
			return "linear";
		case RMI_ROOT_CUBIC:
			return "cubic";
		case RMI_ROOT_SPLINE:
			return "spline";
	}
	return "unknown";
}

/*
 * Comparisons a lookup spends in the root: a binary search of the cached
 * record boundaries over the root's window, plus, for a spline, the search
 * of its knots.  Continuous (log2), as a cost to compare, not a count.
 */
double
rmi_root_search_cost(const RmiRoot *root)
{
	double		width = (double) err_value(root->err_lo) +
		(double) err_value(root->err_hi) + 1.0;
	double		cost;

	if (root->nrecords > 0 && width > (double) root->nrecords)
		width = (double) root->nrecords;
	cost = log2(width);
	if (root->type == RMI_ROOT_SPLINE && root->nknots > 1)
		cost += log2((double) root->nknots);
	return cost;
}

uint32_t
rmi_root_predict(const RmiRoot *root, int64_t x)
{
	if (root->nrecords <= 1)
		return 0;
	if (root->type == RMI_ROOT_LINEAR)
		return rmi_floor_clamp(root->coef[0],
						   rmi_linear_shape(root->min_key, root->coef[1], x),
						   root->nrecords - 1);
	if (root->type == RMI_ROOT_CUBIC)
		return rmi_floor_clamp(root->coef[0],
						   rmi_cubic_shape(root->min_key, root->coef, x),
						   root->nrecords - 1);
	if (root->type == RMI_ROOT_SPLINE)
		return rmi_floor_clamp(root->coef[0], rmi_spline_shape(root, x),
						   root->nrecords - 1);

	/*
	 * Unknown root type.  Any answer in range is safe: rmi_find_record
	 * checks the window and falls back to searching all records.
	 */
	return 0;
}

/* The first key in [lo, hi) the root sends to record target or later; hi if none. */
static int64_t
root_first_key_reaching(const RmiRoot *root, int64_t lo, int64_t hi,
						uint32_t target)
{
	uint64_t	below = 0;
	uint64_t	above = (uint64_t) hi - (uint64_t) lo;

	while (below < above)
	{
		uint64_t	mid = below + (above - below) / 2;

		if (rmi_root_predict(root, (int64_t) ((uint64_t) lo + mid)) >= target)
			above = mid;
		else
			below = mid + 1;
	}
	return (int64_t) ((uint64_t) lo + below);
}

double
rmi_root_miss_rate(const RmiRoot *root, const RmiRecord *records,
				   uint32_t nrecords)
{
	double		sum = 0.0;
	uint32_t	j;

	if (nrecords < 2)
		return 0.0;
	for (j = 0; j + 1 < nrecords; j++)
	{
		int64_t		lo = records[j].first_key;
		int64_t		hi = records[j + 1].first_key;
		int64_t		from;
		int64_t		to;

		if (hi <= lo)
		{
			/* no key of its own: every lookup of this key starts left of it */
			continue;
		}
		from = root_first_key_reaching(root, lo, hi, j);
		to = root_first_key_reaching(root, from, hi, j + 1);
		sum += 1.0 - rmi_key_diff(from, to) / rmi_key_diff(lo, hi);
	}
	return sum / (nrecords - 1);
}

uint32_t
rmi_record_predict(const RmiRecord *rec, int64_t x)
{
	if (rec->count <= 1)
		return 0;
	return rmi_floor_clamp(rec->intercept,
					   rmi_linear_shape(rec->first_key, rec->slope, x),
					   rec->count - 1);
}

/*
 * Largest j in [lo, hi] with records[j].first_key < x; the caller
 * guarantees records[lo].first_key < x.
 */
uint32_t
rmi_search_records(const RmiRecord *records, uint32_t lo, uint32_t hi,
				int64_t x)
{
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo + 1) / 2;

		if (records[mid].first_key < x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint32_t
rmi_find_record(const RmiRoot *root, const RmiRecord *records, int64_t x)
{
	uint32_t	nseg = root->nrecords;
	int64_t		p;
	int64_t		lo;
	int64_t		hi;

	if (nseg <= 1)
		return 0;

	p = rmi_root_predict(root, x);
	lo = p - err_value(root->err_lo);
	hi = p + err_value(root->err_hi);
	if (lo < 0)
		lo = 0;
	if (hi > (int64_t) nseg - 1)
		hi = (int64_t) nseg - 1;

	/*
	 * The answer is in [lo, hi] iff record lo starts below x (or lo is 0,
	 * the answer when nothing starts below x) and record hi + 1 does not.
	 * A trained model always passes; checking costs two comparisons and
	 * keeps the result exact even if the stored root is stale or damaged.
	 */
	if (lo <= hi &&
		(hi == (int64_t) nseg - 1 || records[hi + 1].first_key >= x))
	{
		if (records[lo].first_key < x)
			return rmi_search_records(records, (uint32_t) lo, (uint32_t) hi, x);
		if (lo == 0)
			return 0;
	}

	if (records[0].first_key >= x)
		return 0;
	return rmi_search_records(records, 0, nseg - 1, x);
}

void
rmi_record_window(const RmiRecord *rec, int64_t x,
				   uint32_t *lo, uint32_t *hi)
{
	int64_t		p = rmi_record_predict(rec, x);
	int64_t		last = rec->count ? (int64_t) rec->count - 1 : 0;
	int64_t		l = p - err_value(rec->err_lo);
	int64_t		h = p + err_value(rec->err_hi);

	if (l < 0)
		l = 0;
	if (h > last)
		h = last;
	*lo = rec->start + (uint32_t) l;
	*hi = rec->start + (uint32_t) h;
}

uint32_t
rmi_record_search(const RmiRecord *rec, int64_t x, uint32_t nleaves,
				   int (*at_or_before) (const void *ctx, uint32_t position),
				   const void *ctx)
{
	uint32_t	last;
	uint32_t	lo;
	uint32_t	hi;

	if (nleaves <= 1)
		return 0;
	last = nleaves - 1;

	/* The fit's window, relative to the list, clamped to its length now. */
	rmi_record_window(rec, x, &lo, &hi);
	lo -= rec->start;
	hi -= rec->start;
	if (hi > last)
		hi = last;
	if (lo > hi)
		lo = hi;

	/*
	 * The answer is in [lo, hi] iff position lo counts (or lo is 0, which
	 * always does) and position hi + 1 does not (or hi is last).  Otherwise
	 * it lies wholly on one side, and that side is searched: positions only
	 * move right as entries are inserted, so a stale window is mostly too
	 * far left.
	 */
	if (lo > 0 && !at_or_before(ctx, lo))
	{
		hi = lo - 1;
		lo = 0;
	}
	else if (hi < last && at_or_before(ctx, hi + 1))
	{
		lo = hi + 1;
		hi = last;
	}

	/* The last position in [lo, hi] that counts; lo always does. */
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo + 1) / 2;

		if (at_or_before(ctx, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

void
rmi_lookup(const RmiRoot *root, const RmiRecord *records, int64_t x,
		   uint32_t *lo, uint32_t *hi)
{
	if (root->nrecords == 0)
	{
		*lo = *hi = 0;
		return;
	}
	rmi_record_window(&records[rmi_find_record(root, records, x)], x,
					   lo, hi);
}
