"""mnist-compare: an MLP and a CNN on MNIST, compared properly, plus a drawing demo."""

__version__ = "0.1.0"
