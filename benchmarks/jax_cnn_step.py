"""The CNN's training step written directly in JAX, to compare with the TensorFlow trainer.

Not part of the package (JAX is not a dependency): ``pip install jax`` in any environment, then
``python benchmarks/jax_cnn_step.py``. It times one epoch-like ``lax.scan`` of 400 batches of 32
random images (median of 5 after a compile run) for: the whole step (forward, backward, Adam as
Keras does it), the step with plain SGD, the forward pass alone, Adam alone, and the whole step
with XLA's native convolution instead of im2col. Same architecture as ``build_cnn()``.
"""

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

STEPS, BATCH, EPOCH_STEPS = 400, 32, 1688  # 54,000 images / 32
rng = np.random.default_rng(0)
images = jnp.asarray(rng.random((STEPS, BATCH, 28, 28, 1), dtype=np.float32))
labels = jnp.asarray(rng.integers(0, 10, (STEPS, BATCH)))


def init():
    normal = lambda std, shape: jnp.asarray(rng.normal(0, std, shape).astype(np.float32))  # noqa: E731
    return {
        "kernel": normal(0.1, (3, 3, 1, 32)),
        "bias": jnp.zeros(32),
        "w1": normal(0.01, (5408, 100)),
        "b1": jnp.zeros(100),
        "w2": normal(0.1, (100, 10)),
        "b2": jnp.zeros(10),
    }


def conv_im2col(x, kernel):
    patches = jnp.concatenate([x[:, i : i + 26, j : j + 26, :] for i in range(3) for j in range(3)], axis=-1)
    return (patches.reshape(-1, 9) @ kernel.reshape(9, 32)).reshape(-1, 26, 26, 32)


def conv_native(x, kernel):
    return jax.lax.conv_general_dilated(
        x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )


def make_loss(conv):
    def loss(params, x, y):
        h = jax.nn.relu(conv(x, params["kernel"]) + params["bias"])
        h = h.reshape(-1, 13, 2, 13, 2, 32).max(axis=(2, 4)).reshape(-1, 5408)
        logits = jax.nn.relu(h @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    return loss


def adam(params, grads, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
    m = jax.tree.map(lambda m, g: m + (g - m) * (1 - b1), m, grads)
    v = jax.tree.map(lambda v, g: v + (g * g - v) * (1 - b2), v, grads)
    alpha = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    return jax.tree.map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + eps), params, m, v), m, v


def variants():
    loss, native = make_loss(conv_im2col), make_loss(conv_native)

    def full(state, batch, loss=loss):
        params, m, v, t = state
        params, m, v = adam(params, jax.grad(loss)(params, *batch), m, v, t + 1)
        return (params, m, v, t + 1), None

    def sgd(state, batch):
        params, m, v, t = state
        grads = jax.grad(loss)(params, *batch)
        return (jax.tree.map(lambda p, g: p - 1e-3 * g, params, grads), m, v, t), None

    def forward(state, batch):
        params, m, v, t = state
        value = loss(params, *batch)
        return (jax.tree.map(lambda p: p + 1e-9 * value, params), m, v, t), None

    def adam_only(state, batch):
        params, m, v, t = state
        params, m, v = adam(params, params, m, v, t + 1)
        return (params, m, v, t + 1), None

    return {
        "whole step (Adam)": full,
        "step with SGD": sgd,
        "forward only": forward,
        "Adam only": adam_only,
        "whole step, native convolution": lambda s, b: full(s, b, loss=native),
    }


def main():
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}")
    for name, body in variants().items():
        epoch = jax.jit(lambda state, xs, ys, body=body: jax.lax.scan(body, state, (xs, ys))[0])
        params = init()
        zeros = jax.tree.map(jnp.zeros_like, params)
        state = jax.block_until_ready(epoch((params, zeros, zeros, jnp.float32(0)), images, labels))
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            state = jax.block_until_ready(epoch(state, images, labels))
            seconds.append(time.perf_counter() - start)
        per_step = statistics.median(seconds) / STEPS
        print(
            f"{name:32s} {per_step * 1e3:6.2f} ms/step  ({per_step * EPOCH_STEPS:5.2f} s per 54,000-image "
            f"epoch)"
        )


if __name__ == "__main__":
    main()
