package dev.jbert.model;

import ai.djl.ndarray.NDArray;

/**
 * Scalars for arithmetic inside the autograd graph. DJL 0.36's {@code x.div(Number)} and {@code x.mul(Number)} wrap
 * the number in an array whose storage is a Java direct buffer and close that array right after the op, but torch's
 * autograd keeps the scalar for the backward pass (DivBackward and MulBackward save it). Once a garbage collection frees
 * the buffer, backward reads freed memory: NaN gradients, seen here within a few steps whenever the step allocated many
 * direct buffers. A scalar made here lives in the manager of the array it is used with, so until the step's manager
 * closes, after the backward pass.
 */
public final class Scalars {
  private Scalars() {}

  /** {@code value} as a scalar array of {@code like}'s dtype, in {@code like}'s manager. */
  public static NDArray like(NDArray like, double value) {
    return like.getManager().create(value).toType(like.getDataType(), false);
  }
}
