"""microtvm: a small ahead-of-time compiler from TensorFlow Lite to C (Model Library Format).

Pipeline, one module per stage, pure functions between stages:
  frontend.read_tflite -> ir.Graph -> passes -> memory.plan_memory -> codegen -> mlf.assemble -> mlf.write
"""
