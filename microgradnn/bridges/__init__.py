"""Bridges to other libraries: micrograd's API on this engine, and PyTorch."""
