// The starting value for number fields that will hold doubles (packet times, 32-bit sequence numbers, large sums).

/**
 * V8 picks how a field is stored from the first value written to it: 0 becomes a small integer, and the first double
 * written later rebuilds the hidden class of every object of that shape and throws away the optimized code that used
 * it (again for the objects of a second pipeline in the same process). -0 is always stored as a double, so the field
 * starts out in its final form; it equals 0 in comparisons and arithmetic and prints as 0.
 */
export const DOUBLE_ZERO = -0;
