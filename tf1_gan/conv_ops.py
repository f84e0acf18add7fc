"""'SAME' convolutions whose every pass runs on TF's fast forward Conv2D kernel on CPU.

Why: in the pip TensorFlow 1.15.5 CPU wheel, `Conv2D` (forward) runs as a tensor contraction on the
MKL-DNN sgemm that TF links for Eigen contractions, while `Conv2DBackpropInput` - the op behind both
`tf.nn.conv2d_transpose` (G's forward pass) and the input gradient of `tf.nn.conv2d` (D's backward pass)
- is a much slower Eigen kernel. `docs/tf1_gan.md` (Speed) has the measurements.

A transposed convolution with stride s equals s*s ordinary stride-1 convolutions, one per output phase,
interleaved (the "sub-pixel" identity of Shi et al. 2016, "Is the deconvolution layer the same as a
convolutional layer?", arXiv:1609.07009): output row s*m + r only ever meets kernel taps
k = r + p - s*d for input rows m + d, where p is the top padding TF's 'SAME' rule gives the forward
convolution. So the phases' taps are gathered from the same kernel into one (T, T, Cin, s*s*Cout)
kernel, run through one Conv2D, and `tf.depth_to_space` interleaves the phases. The weights, the
function and the gradients are the ones of `tf.nn.conv2d_transpose`; only the kernels that compute them
change (floating-point sums come out in a different order, so results agree to float32 rounding).

`conv2d` and `conv2d_transpose` below carry their own gradients (`tf.custom_gradient`): the input
gradient of a convolution is a transposed convolution (computed as above) and the input gradient of a
transposed convolution is a convolution. The kernel gradient is a correlation of the layer's input with
its output gradient, summed over the batch; at stride 1 `filter_grad` runs it as one Conv2D with the
batch as the contraction axis (faster than `Conv2DBackpropFilter`, measured); at stride 2 TF's
`conv2d_backprop_filter` stays (the phase form of the same trick measured slower).
Only 'SAME' padding with sizes that are multiples of the stride (the shapes of tf1_gan's networks) take
this path; `conv2d` and `phase_taps` raise ValueError otherwise.

This is a workaround for one kernel library, so `default_impl` picks it only there: TF builds with oneDNN
(intel-tensorflow, `make setup-onednn`) run TF's own ops faster than this path, and GPU builds use cuDNN.
"""
import numpy as np
import tensorflow as tf
from tensorflow.python import pywrap_tensorflow  # IsMklEnabled: no public 1.15 API says "built with oneDNN"


def built_with_onednn():
    """Whether this TensorFlow runs its CPU ops on oneDNN (intel-tensorflow) rather than Eigen."""
    return bool(pywrap_tensorflow.IsMklEnabled())


def default_impl():
    """"subpixel" where TF's Eigen CPU kernels run the convolutions (the stock CPU wheel), else "tf"."""
    if tf.test.is_built_with_cuda() or built_with_onednn():
        return "tf"
    return "subpixel"


def same_padding(size_out, size_in, kernel_size, stride):
    """Leading padding TF's 'SAME' rule gives a conv from size_out (large side) to size_in (small side)."""
    total = max((size_in - 1) * stride + kernel_size - size_out, 0)
    return total // 2


def phase_taps(size_in, size_out, kernel_size, stride):
    """Per output phase, which kernel tap meets which input offset.

    Returns:
      (taps, d_min): taps is an int array (T, stride); taps[a, r] is the kernel index k that links
      output position s*m + r to input position m + a + d_min, or -1 where no tap does.

    Raises:
      ValueError: if size_out != size_in * stride (the phases would not tile the output).
    """
    if size_out != size_in * stride:
        raise ValueError("sub-pixel path needs output size = input size * stride, got %d -> %d at stride %d"
                         % (size_in, size_out, stride))
    pad = same_padding(size_out, size_in, kernel_size, stride)
    # k = r + pad - s*d must lie in [0, K): d in [(r + pad - K + 1) / s, (r + pad) / s].
    pairs = [(r, d, r + pad - stride * d) for r in range(stride)
             for d in range(-kernel_size, kernel_size + 1) if 0 <= r + pad - stride * d < kernel_size]
    d_min = min(d for _, d, _ in pairs)
    d_max = max(d for _, d, _ in pairs)
    taps = -np.ones((d_max - d_min + 1, stride), np.int64)
    for r, d, k in pairs:
        taps[d - d_min, r] = k
    return taps, d_min


def subpixel_kernel(kernel, taps, stride):
    """(K, K, Cout, Cin) conv2d_transpose kernel -> (T, T, Cin, s*s*Cout) kernel of the phase convolution.

    Channel (r1*s + r2)*Cout + c of the result is output phase (r1, r2), channel c (tf.depth_to_space order).
    """
    k_size = kernel.shape.as_list()[0]
    t_size = taps.shape[0]
    w = tf.transpose(kernel, [0, 1, 3, 2])  # (K, K, Cin, Cout)
    w = tf.pad(w, [[0, 1], [0, 1], [0, 0], [0, 0]])  # index K is a zero tap
    index = np.where(taps < 0, k_size, taps).reshape(-1)  # (T*s,) rows a*s + r
    w = tf.gather(tf.gather(w, index, axis=0), index, axis=1)  # (T*s, T*s, Cin, Cout)
    c_in, c_out = w.shape.as_list()[2:]
    w = tf.reshape(w, [t_size, stride, t_size, stride, c_in, c_out])
    w = tf.transpose(w, [0, 2, 4, 1, 3, 5])  # (T, T, Cin, s, s, Cout)
    return tf.reshape(w, [t_size, t_size, c_in, stride * stride * c_out])


def transposed_conv(x, kernel, stride):
    """tf.nn.conv2d_transpose(x, kernel, (B, H*s, W*s, Cout), s, 'SAME') as one Conv2D + depth_to_space.

    Args:
      x: float32 (B, H, W, Cin), static H.
      kernel: float32 (K, K, Cout, Cin), the conv2d_transpose layout (= the matching conv2d's kernel).
      stride: int.
    Returns:
      float32 (B, H*stride, W*stride, Cout).
    """
    height = x.shape.as_list()[1]
    k_size = kernel.shape.as_list()[0]
    # 'SAME' pads max(K - s, 0) in total whatever the size, so both axes have these taps.
    taps, d_min = phase_taps(height, height * stride, k_size, stride)
    w = subpixel_kernel(kernel, taps, stride)  # (T, T, Cin, s*s*Cout)
    t_size = taps.shape[0]
    before, after = -d_min, t_size - 1 + d_min
    if before == after:  # symmetric: the conv's own 'SAME' padding, no padded copy of x
        y = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
    else:
        x = tf.pad(x, [[0, 0], [before, after], [before, after], [0, 0]])
        y = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID")  # (B, H, W, s*s*Cout)
    return tf.nn.depth_to_space(y, stride) if stride > 1 else y


def filter_grad(x, dy, kernel_size, stride):
    """tf.nn.conv2d_backprop_filter(x, (K, K, Cin, Cout), dy, stride, 'SAME'), as one Conv2D at stride 1.

    dw[a, b, ci, co] = sum over n, i, j of xpad[n, i + a, j + b, ci] * dy[n, i, j, co]: a VALID
    correlation of the (Cin, H+K-1, W+K-1, B) padded input with dy as a (Ho, Wo, B, Cout) "kernel".

    Args:
      x: float32 (B, H, W, Cin), the convolution's input (static shape).
      dy: float32 (B, Ho, Wo, Cout), the gradient of its output.
    Returns:
      float32 (K, K, Cin, Cout).
    """
    c_in = x.shape.as_list()[-1]
    c_out = dy.shape.as_list()[-1]
    strides = [1, stride, stride, 1]
    if stride != 1:
        return tf.nn.conv2d_backprop_filter(x, [kernel_size, kernel_size, c_in, c_out], dy, strides, "SAME")
    before = (kernel_size - 1) // 2  # 'SAME' at stride 1, any size
    after = kernel_size - 1 - before
    x = tf.transpose(x, [3, 1, 2, 0])  # (Cin, H, W, B)
    x = tf.pad(x, [[0, 0], [before, after], [before, after], [0, 0]])  # (Cin, H+K-1, W+K-1, B)
    dw = tf.nn.conv2d(x, tf.transpose(dy, [1, 2, 0, 3]), strides, "VALID")  # (Cin, K, K, Cout)
    return tf.transpose(dw, [1, 2, 0, 3])


def conv2d(x, kernel, stride):
    """tf.nn.conv2d(x, kernel, stride, 'SAME') whose input gradient is a sub-pixel `transposed_conv`.

    x: (B, H, W, Cin) with H and W multiples of s; kernel: (K, K, Cin, Cout) -> (B, H/s, W/s, Cout).

    Raises:
      ValueError: if H or W is not a multiple of the stride (the input gradient could not be tiled).
    """
    height, width = x.shape.as_list()[1:3]
    if height % stride or width % stride:
        raise ValueError("sub-pixel path needs H and W divisible by the stride, got %dx%d at stride %d"
                         % (height, width, stride))
    strides = [1, stride, stride, 1]

    @tf.custom_gradient
    def _conv(x, kernel):
        def grad(dy):
            dx = transposed_conv(dy, kernel, stride)
            return dx, filter_grad(x, dy, kernel.shape.as_list()[0], stride)
        return tf.nn.conv2d(x, kernel, strides, "SAME"), grad

    return _conv(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))


def conv2d_transpose(x, kernel, stride):
    """tf.nn.conv2d_transpose(x, kernel, (B, H*s, W*s, Cout), s, 'SAME'), every pass on Conv2D kernels.

    x: (B, H, W, Cin); kernel: (K, K, Cout, Cin) -> (B, H*s, W*s, Cout).
    """
    strides = [1, stride, stride, 1]

    @tf.custom_gradient
    def _deconv(x, kernel):
        def grad(dy):
            dx = tf.nn.conv2d(dy, kernel, strides, "SAME")
            return dx, filter_grad(dy, x, kernel.shape.as_list()[0], stride)  # dy plays the conv's input
        return transposed_conv(x, kernel, stride), grad

    return _deconv(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))
