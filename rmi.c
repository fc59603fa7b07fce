/*-------------------------------------------------------------------------
 *
 * rmi.c
 *	  Training and lookup for the two-stage Recursive Model Index.
 *
 * See rmi.h for what the model predicts.  Both stages are the same problem:
 * given a sorted run of keys k(0..m), entry r is the answer for every x in
 * (k(r), k(r + 1)], so a model must map x to the r whose interval holds it.
 * For a segment the run is its own keys; for the root it is every segment's
 * first_key.  One fitter serves both (see KeySeq).
 *
 * A model is a line through (x - base, r), floored and clamped.  Each step of
 * that computation is monotone non-decreasing in x, so over an interval of x
 * the prediction is smallest at the left end and largest at the right end.
 * The error bounds therefore come from evaluating the real prediction
 * function at the two ends of every non-empty interval: that is exact for
 * every int64 x, not only for the keys seen at training.
 *
 * The bounds are stored with the model (on disk, in the index), so the
 * prediction must give bit-identical results in whichever build reads them;
 * see linear_predict for how floating-point contraction is kept out.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "rmi.h"

/*
 * Stored error bounds saturate at INT32_MAX, which then means "unbounded".
 * A bound can only get there when a segment (or the root) covers more than
 * 2^31 entries; the window clamp still keeps lookups inside the segment.
 */
#define RMI_ERR_UNBOUNDED	(INT64_C(1) << 32)

/*
 * A sorted run of keys as one model sees it: a segment's keys (stride 1) or
 * the first keys of all segments (stride positions_per_segment).
 */
typedef struct KeySeq
{
	const int64_t *keys;
	size_t		stride;
	uint32_t	count;			/* entries, >= 1 */
	int			open_below;		/* entry 0 also answers every x <= k(0) */
	int64_t		upper;			/* last entry answers x up to this */
} KeySeq;

/* One candidate model, wrapped so that one fitter can drive either stage. */
typedef struct LinearModel
{
	int			is_root;
	RmiRoot		root;
	RmiSegment	seg;
} LinearModel;

static inline int64_t
seq_key(const KeySeq *seq, uint32_t r)
{
	return seq->keys[(size_t) r * seq->stride];
}

/*
 * The closed interval [*left, *right] of x for which entry r is the answer.
 * Returns 0 when no x has that answer: r is followed by an equal key, or its
 * key is INT64_MAX (nothing lies above it, and k + 1 would overflow).
 *
 * Only the answer interval is considered, not the range the lookup routes
 * to this segment: the two coincide (an x is routed to the segment holding
 * rmi_target(x), by construction of rmi_route), so no intersection is needed.
 */
static int
seq_interval(const KeySeq *seq, uint32_t r, int64_t *left, int64_t *right)
{
	int64_t		k = seq_key(seq, r);

	if (r == 0 && seq->open_below)
		*left = INT64_MIN;
	else if (k == INT64_MAX)
		return 0;
	else
		*left = k + 1;

	*right = (r + 1 < seq->count) ? seq_key(seq, r + 1) : seq->upper;
	return *left <= *right;
}

/*
 * x - base as a double, 0 at or below base.  The subtraction is done in
 * uint64 so that keys spanning the whole int64 range cannot overflow; the
 * difference is then below 2^64 and converts exactly up to rounding, which
 * is monotone.
 */
static inline double
key_diff(int64_t base, int64_t x)
{
	if (x <= base)
		return 0.0;
	return (double) ((uint64_t) x - (uint64_t) base);
}

/*
 * floor(intercept + slope * (x - base)), clamped to [0, last].
 *
 * The product and the sum go through volatile doubles.  Without that, a
 * compiler may fuse them into one fused multiply-add (GCC does so across
 * statements by default in GNU C mode on FMA hardware) or keep them at
 * extended precision (x87).  Either is monotone, but the bounds stored in an
 * index would then only hold for builds that happen to make the same choice.
 * Forcing both roundings to IEEE double makes every build agree.
 */
static uint32_t
linear_predict(int64_t base, double intercept, double slope, int64_t x,
			   uint32_t last)
{
	volatile double prod;
	volatile double sum;
	double		p;

	prod = slope * key_diff(base, x);
	sum = intercept + prod;
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

static inline int32_t
err_store(int64_t err)
{
	return (err >= INT32_MAX) ? INT32_MAX : (int32_t) err;
}

uint32_t
rmi_segment_count(uint32_t n, uint32_t positions_per_segment)
{
	uint32_t	pps = positions_per_segment ? positions_per_segment : 1;

	/* not (n + pps - 1) / pps, which overflows for large pps */
	return n / pps + (n % pps != 0);
}

uint32_t
rmi_root_predict(const RmiRoot *root, int64_t x)
{
	if (root->nsegments <= 1)
		return 0;
	if (root->type == RMI_ROOT_LINEAR)
		return linear_predict(root->min_key, root->coef[0], root->coef[1],
							  x, root->nsegments - 1);

	/*
	 * Unknown root type.  Any answer in range is safe: rmi_find_segment
	 * checks the window and falls back to searching all segments.
	 */
	return 0;
}

uint32_t
rmi_segment_predict(const RmiSegment *seg, int64_t x)
{
	if (seg->count <= 1)
		return 0;
	return linear_predict(seg->first_key, seg->intercept, seg->slope, x,
						  seg->count - 1);
}

/*
 * Largest j in [lo, hi] with segments[j].first_key < x; the caller
 * guarantees segments[lo].first_key < x.
 */
static uint32_t
search_segments(const RmiSegment *segments, uint32_t lo, uint32_t hi,
				int64_t x)
{
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo + 1) / 2;

		if (segments[mid].first_key < x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint32_t
rmi_find_segment(const RmiRoot *root, const RmiSegment *segments, int64_t x)
{
	uint32_t	nseg = root->nsegments;
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
	 * The answer is in [lo, hi] iff segment lo starts below x (or lo is 0,
	 * the answer when nothing starts below x) and segment hi + 1 does not.
	 * A trained model always passes; checking costs two comparisons and
	 * keeps the result exact even if the stored root is stale or damaged.
	 */
	if (lo <= hi &&
		(hi == (int64_t) nseg - 1 || segments[hi + 1].first_key >= x))
	{
		if (segments[lo].first_key < x)
			return search_segments(segments, (uint32_t) lo, (uint32_t) hi, x);
		if (lo == 0)
			return 0;
	}

	if (segments[0].first_key >= x)
		return 0;
	return search_segments(segments, 0, nseg - 1, x);
}

void
rmi_segment_window(const RmiSegment *seg, int64_t x,
				   uint32_t *lo, uint32_t *hi)
{
	int64_t		p = rmi_segment_predict(seg, x);
	int64_t		last = seg->count ? (int64_t) seg->count - 1 : 0;
	int64_t		l = p - err_value(seg->err_lo);
	int64_t		h = p + err_value(seg->err_hi);

	if (l < 0)
		l = 0;
	if (h > last)
		h = last;
	*lo = seg->start + (uint32_t) l;
	*hi = seg->start + (uint32_t) h;
}

void
rmi_lookup(const RmiRoot *root, const RmiSegment *segments, int64_t x,
		   uint32_t *lo, uint32_t *hi)
{
	if (root->nsegments == 0)
	{
		*lo = *hi = 0;
		return;
	}
	rmi_segment_window(&segments[rmi_find_segment(root, segments, x)], x,
					   lo, hi);
}

/* ---------------------------------------------------------------- training */

static void
model_set(LinearModel *m, double slope, double intercept)
{
	if (m->is_root)
	{
		m->root.coef[0] = intercept;
		m->root.coef[1] = slope;
	}
	else
	{
		m->seg.intercept = intercept;
		m->seg.slope = slope;
	}
}

/* The lookup-time prediction: the bounds are only exact if this is it. */
static uint32_t
model_predict(const LinearModel *m, int64_t x)
{
	if (m->is_root)
		return rmi_root_predict(&m->root, x);
	return rmi_segment_predict(&m->seg, x);
}

static int64_t
model_base(const LinearModel *m)
{
	return m->is_root ? m->root.min_key : m->seg.first_key;
}

/*
 * Exact error bounds of m over seq; returns the window width they imply.
 * Entry r's interval gives the largest underestimate at its left end and the
 * largest overestimate at its right end (the prediction is monotone).
 */
static int64_t
model_bounds(const KeySeq *seq, const LinearModel *m,
			 int64_t *err_lo, int64_t *err_hi)
{
	int64_t		lo = 0;
	int64_t		hi = 0;
	uint32_t	r;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		int64_t		under;
		int64_t		over;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		under = (int64_t) r - (int64_t) model_predict(m, left);
		over = (int64_t) model_predict(m, right) - (int64_t) r;
		if (under > hi)
			hi = under;
		if (over > lo)
			lo = over;
	}
	*err_lo = lo;
	*err_hi = hi;
	return lo + hi;
}

/*
 * Candidate slopes, all finite and >= 0, fitted to one point per non-empty
 * answer interval: (left end - base, r).  Entries followed by an equal key
 * have no interval, so duplicates contribute only their last copy (the answer
 * just above a duplicated key) and cannot drag the line; and a run of equal
 * keys at the very start still shows up as a step, which lets a segment of
 * all-equal keys be fitted exactly.  Candidates:
 *
 * - least squares, the usual choice;
 * - the line through the first and last point, which copes better when a
 *   few outliers dominate the squares;
 * - zero, the fallback for a single point and for data no line fits, where
 *   it bounds the window by the entry count.
 *
 * The caller keeps whichever gives the narrowest exact window.
 */
static int
slope_candidates(const KeySeq *seq, int64_t base, double *slopes)
{
	int			nslopes = 0;
	uint32_t	npoints = 0;
	double		sum_x = 0.0;
	double		sum_y = 0.0;
	double		mean_x;
	double		mean_y;
	double		sxx = 0.0;
	double		sxy = 0.0;
	double		first_x = 0.0;
	double		first_y = 0.0;
	double		last_x = 0.0;
	double		last_y = 0.0;
	uint32_t	r;

	slopes[nslopes++] = 0.0;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		double		x;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		x = key_diff(base, left);
		if (npoints == 0)
		{
			first_x = x;
			first_y = r;
		}
		last_x = x;
		last_y = r;
		sum_x += x;
		sum_y += r;
		npoints++;
	}
	if (npoints < 2)
		return nslopes;

	/* second pass on centred values, for accuracy with large keys */
	mean_x = sum_x / npoints;
	mean_y = sum_y / npoints;
	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		double		dx;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		dx = key_diff(base, left) - mean_x;
		sxx += dx * dx;
		sxy += dx * ((double) r - mean_y);
	}
	if (sxx > 0.0 && isfinite(sxx) && isfinite(sxy))
	{
		double		s = sxy / sxx;

		/* sorted keys give sxy >= 0; rounding could still dip below */
		if (isfinite(s) && s > 0.0)
			slopes[nslopes++] = s;
	}

	/* distinct left ends can still coincide after conversion to double */
	if (last_x > first_x)
	{
		double		s = (last_y - first_y) / (last_x - first_x);

		if (isfinite(s) && s > 0.0)
			slopes[nslopes++] = s;
	}
	return nslopes;
}

/*
 * Intercept for a given slope.  Entry r wants b + slope * d >= r at its
 * interval's left end and < r + 1 at its right end, i.e. b >= U and b < V
 * over all entries.  If U < V a perfect b exists and the midpoint keeps a
 * margin against rounding; otherwise the midpoint splits the shortfall
 * between err_hi and err_lo.  The clamp already satisfies the left end of
 * entry 0 and the right end of the last entry, so those are not constraints
 * (the last entry's interval may reach INT64_MAX).
 */
static double
choose_intercept(const KeySeq *seq, int64_t base, double slope)
{
	double		u = -HUGE_VAL;
	double		v = HUGE_VAL;
	double		b;
	uint32_t	r;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		if (r > 0)
		{
			double		c = (double) r - slope * key_diff(base, left);

			if (c > u)
				u = c;
		}
		if (r + 1 < seq->count)
		{
			double		c = (double) r + 1.0 - slope * key_diff(base, right);

			if (c < v)
				v = c;
		}
	}

	if (isinf(u) && isinf(v))
		b = 0.0;
	else if (isinf(u))
		b = v - 0.5;
	else if (isinf(v))
		b = u + 0.5;
	else
		b = u + (v - u) / 2.0;

	return isfinite(b) ? b : 0.0;
}

/*
 * Fit m (whose base, count and type are already set) to seq: try each
 * candidate slope with its intercept and keep the narrowest exact window.
 */
static void
fit_linear(const KeySeq *seq, LinearModel *m, int64_t *err_lo, int64_t *err_hi)
{
	double		slopes[3];
	int			nslopes;
	int64_t		base = model_base(m);
	int64_t		best_width = -1;
	double		best_slope = 0.0;
	double		best_intercept = 0.0;
	int			i;

	nslopes = slope_candidates(seq, base, slopes);
	for (i = 0; i < nslopes; i++)
	{
		double		b = choose_intercept(seq, base, slopes[i]);
		int64_t		lo;
		int64_t		hi;
		int64_t		width;

		model_set(m, slopes[i], b);
		width = model_bounds(seq, m, &lo, &hi);
		if (best_width < 0 || width < best_width)
		{
			best_width = width;
			best_slope = slopes[i];
			best_intercept = b;
			*err_lo = lo;
			*err_hi = hi;
		}
	}
	model_set(m, best_slope, best_intercept);
}

void
rmi_train(const int64_t *keys, uint32_t n, uint32_t positions_per_segment,
		  RmiRoot *root, RmiSegment *segments)
{
	uint32_t	pps = positions_per_segment ? positions_per_segment : 1;
	uint32_t	nseg = rmi_segment_count(n, pps);
	KeySeq		seq;
	LinearModel m;
	int64_t		err_lo;
	int64_t		err_hi;
	uint32_t	j;

	root->type = RMI_ROOT_LINEAR;
	root->nsegments = nseg;
	root->min_key = n ? keys[0] : 0;
	root->coef[0] = root->coef[1] = root->coef[2] = root->coef[3] = 0.0;
	root->err_lo = root->err_hi = 0;
	if (n == 0)
		return;

	for (j = 0; j < nseg; j++)
	{
		/* j < nseg, so j * pps <= n - 1: no overflow */
		uint32_t	start = j * pps;
		uint32_t	count = (n - start < pps) ? n - start : pps;

		seq.keys = keys + start;
		seq.stride = 1;
		seq.count = count;
		seq.open_below = (j == 0);
		seq.upper = (j + 1 < nseg) ? keys[start + count] : INT64_MAX;

		m.is_root = 0;
		m.seg.first_key = keys[start];
		m.seg.start = start;
		m.seg.count = count;
		m.seg.slope = 0.0;
		m.seg.intercept = 0.0;
		m.seg.err_lo = m.seg.err_hi = 0;

		fit_linear(&seq, &m, &err_lo, &err_hi);
		m.seg.err_lo = err_store(err_lo);
		m.seg.err_hi = err_store(err_hi);
		segments[j] = m.seg;
	}

	seq.keys = keys;
	seq.stride = pps;
	seq.count = nseg;
	seq.open_below = 1;
	seq.upper = INT64_MAX;

	m.is_root = 1;
	m.root = *root;
	fit_linear(&seq, &m, &err_lo, &err_hi);
	m.root.err_lo = err_store(err_lo);
	m.root.err_hi = err_store(err_hi);
	*root = m.root;
}
