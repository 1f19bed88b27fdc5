"""TFLite frontend: .tflite bytes -> ir.Graph (see reader.py)."""
from .reader import read_tflite

__all__ = ["read_tflite"]
