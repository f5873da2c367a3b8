"""The VQA models: FiLM (`vqa`), CNN + LSTM (`vqa_baseline`), question-only, scene OOD.

Built from Keras layers and `keras.ops` only, so they train on JAX (a GPU machine) and
serve on TensorFlow (this one) from the same `.keras` file. The two custom layers are
registered under the package name "vqademo": importing this module is what lets
`keras.saving.load_model(..., safe_mode=True)` open the files.

- `build_vqa`: FiLM (Perez et al. 2018). A small CNN sees the image; a bidirectional
  GRU reads the question and predicts, per residual block, a scale and shift of every
  feature map (feature-wise linear modulation). Coordinate channels before each block
  let "left of" and "closest to" be computed from where features fire.
- `build_vqa_baseline`: what the VQA article teaches: CNN image features, an LSTM over
  word embeddings, fused by concatenation, an MLP and a softmax over the answers.
- `build_question_only`: the LSTM half alone; how much a question gives away.
- `build_scene_autoencoder`: a small convolutional autoencoder of scenes; its
  reconstruction error says how unlike a shapes scene an image is.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from app.tasks import Prepared
from app.worlds.shapes.forward import CachedQuestionForward, splittable
from app.worlds.shapes.preprocessing import DEFAULT_IMAGE_SIDE, MAX_QUESTION_TOKENS, read_assets

SERVES = ("vqa", "scene_ood")

NUM_ANSWERS = 23  # the spec's 22 and `none` (docs/shapes-scenes.md)
DESCRIPTIONS = {
    "vqa": "FiLM (Perez et al. 2018) with coordinate channels: 3 conv layers, a bidirectional GRU question "
    "encoder, 4 FiLM residual blocks on a 16 x 16 map, max-pool and an MLP over the answers",
    "vqa_baseline": "CNN + LSTM (the VQA article's approach): 4 strided conv layers, an LSTM over word "
    "embeddings, concatenation, an MLP and a softmax over the answers",
    "question_only": "LSTM over the question alone: what the words give away without the image",
    "scene_ood": "convolutional autoencoder of shapes scenes; its reconstruction error flags images unlike them",
}


@keras.saving.register_keras_serializable(package="vqademo")
class CoordinateChannels(layers.Layer):
    """Appends x and y in [-1, 1] as two channels (CoordConv, Liu et al. 2018)."""

    def call(self, x):
        height, width = x.shape[1], x.shape[2]
        ys, xs = ops.meshgrid(ops.linspace(-1.0, 1.0, height), ops.linspace(-1.0, 1.0, width), indexing="ij")
        grid = ops.cast(ops.stack([xs, ys], axis=-1), x.dtype)
        return ops.concatenate([x, ops.zeros_like(x[..., :2]) + grid], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 2)


@keras.saving.register_keras_serializable(package="vqademo")
class FiLM(layers.Layer):
    """x * (1 + gamma) + beta, with (gamma, beta) = the conditioning vector's halves."""

    def call(self, inputs):
        x, conditioning = inputs
        gamma, beta = ops.split(conditioning, 2, axis=-1)
        return x * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :]

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


def _inputs(image_side: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    return (
        keras.Input((image_side, image_side, 3), name="image"),
        keras.Input((MAX_QUESTION_TOKENS,), dtype="int32", name="question"),
    )


def _conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


def build_vqa(
    vocab_size: int, image_side: int = DEFAULT_IMAGE_SIDE, num_answers: int = NUM_ANSWERS, width: int = 128, blocks: int = 4
) -> keras.Model:
    image, question = _inputs(image_side)
    x = _conv_bn_relu(image, width // 2, strides=2)  # 64 -> 32
    x = _conv_bn_relu(x, width, strides=2)  # 32 -> 16: a cell is 4 px, half a small object
    x = _conv_bn_relu(x, width)

    words = layers.Embedding(vocab_size, 64, mask_zero=True)(question)
    q = layers.Bidirectional(layers.GRU(width), name="question_encoder")(words)

    for i in range(blocks):
        x = layers.Conv2D(width, 1, activation="relu")(CoordinateChannels()(x))
        shortcut = x
        y = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        y = layers.BatchNormalization(center=False, scale=False)(y)  # FiLM supplies both
        y = FiLM(name=f"film_{i}")([y, layers.Dense(2 * width)(q)])
        x = layers.Add()([shortcut, layers.ReLU()(y)])

    x = layers.Conv2D(4 * width, 1, activation="relu", name="last_features")(CoordinateChannels()(x))
    x = layers.GlobalMaxPooling2D()(x)
    x = layers.Dense(1024, activation="relu")(x)
    answers = layers.Dense(num_answers, activation="softmax", name="answers")(x)
    return keras.Model([image, question], answers, name="vqa")


def build_vqa_baseline(vocab_size: int, image_side: int = DEFAULT_IMAGE_SIDE, num_answers: int = NUM_ANSWERS) -> keras.Model:
    image, question = _inputs(image_side)
    x = image
    for filters in (32, 64, 128, 128):
        x = _conv_bn_relu(x, filters, strides=2)
    x = layers.Dense(512, activation="relu")(layers.Flatten()(x))

    words = layers.Embedding(vocab_size, 64, mask_zero=True)(question)
    q = layers.LSTM(256, name="question_encoder")(words)

    h = layers.Dense(512, activation="relu")(layers.Concatenate()([x, q]))
    answers = layers.Dense(num_answers, activation="softmax", name="answers")(h)
    return keras.Model([image, question], answers, name="vqa_baseline")


def build_question_only(vocab_size: int, num_answers: int = NUM_ANSWERS) -> keras.Model:
    question = keras.Input((MAX_QUESTION_TOKENS,), dtype="int32", name="question")
    words = layers.Embedding(vocab_size, 64, mask_zero=True)(question)
    h = layers.Dense(256, activation="relu")(layers.LSTM(256)(words))
    answers = layers.Dense(num_answers, activation="softmax", name="answers")(h)
    return keras.Model(question, answers, name="question_only")


def build_scene_autoencoder(image_side: int = DEFAULT_IMAGE_SIDE, code_channels: int = 8) -> keras.Model:
    """64 x 64 x 3 -> 8 x 8 x `code_channels` -> 64 x 64 x 3 (sigmoid), trained on scenes."""
    image = keras.Input((image_side, image_side, 3), name="image")
    x = image
    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(code_channels, 1, activation="relu", name="code")(x)
    for filters in (64, 64, 32):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    rebuilt = layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="reconstruction")(x)
    return keras.Model(image, rebuilt, name="scene_ood")


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    """Serving hook: a VQA model needs its vocabulary and answers, and is served as three
    calls so that each picture and each question is worked on once
    (`app.worlds.shapes.forward`); the scene check needs the threshold it was calibrated with."""
    if card.get("task") == "scene_ood":
        if not card.get("ood_threshold"):
            raise ValueError("card.json has no ood_threshold (retrain with training.train_scene_ood)")
        return Prepared()
    forward = CachedQuestionForward(model) if splittable(model) else None
    return Prepared(assets=read_assets(folder), forward=forward)
