"""model.summary() in the classic Keras 2 table layout (65 columns, underscore rules)."""

import numpy as np

LINE_LENGTH = 65
POSITIONS = (0.45, 0.85, 1.0)  # Keras 2's column ends as fractions: 29, 55, 65 of 65


def _row(fields, ends):
    line = ""
    for text, end in zip(fields, ends):
        line += str(text)
        line = line[:end]
        line += " " * (end - len(line))
    return line


def summary_lines(model, line_length=None, positions=None):
    width = line_length or LINE_LENGTH
    fractions = positions or POSITIONS
    ends = [int(width * p) if p <= 1 else int(p) for p in fractions]
    lines = [f'Model: "{model.name}"', "_" * width, _row(["Layer (type)", "Output Shape", "Param #"], ends),
             "=" * width]
    layers = model.layers
    for i, layer in enumerate(layers):
        shape = str(layer.output_shape) if layer.output_shape is not None else "?"
        lines.append(_row([f"{layer.name} ({type(layer).__name__})", shape, layer.count_params()], ends))
        lines.append("=" * width if i == len(layers) - 1 else "_" * width)
    if not layers:
        lines.append("=" * width)
    total = model.count_params()
    trainable = sum(int(np.prod(w.shape)) for layer in layers if layer.trainable for w in layer.trainable_weights)
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    return lines
