"""One module per task: everything that shapes data for that task lives there.

Both the training scripts and the server import these modules, so the two cannot
drift apart. They import Keras, NumPy and Pillow, never FastAPI.
"""
