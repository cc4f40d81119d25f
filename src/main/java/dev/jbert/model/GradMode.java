package dev.jbert.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's grad mode is per thread, and DJL switches it off only on the thread that loaded the engine. Training and
 * evaluation call {@link #off()} on their own thread first, so that no graph is recorded outside a gradient collector
 * and in-place optimiser updates of the weights are allowed.
 */
public final class GradMode {
  private GradMode() {}

  public static void off() {
    Engine.getInstance(); // loads the native library on first use
    JniUtils.setGradMode(false);
  }
}
