"""TensorFlow 2 quickstart for beginners (tensorflow.org/tutorials/quickstart/beginner), as written there,
with `import pyminidl as tf` and the bundled 8x8 digits in place of MNIST's 28x28 (1500 train, 297 test).
The notebook shows each cell's value; this script prints them.

    python examples/quickstart.py
"""

import pyminidl as tf
print("TensorFlow version:", tf.__version__)

# Load a dataset (MNIST in the tutorial: pixel values 0..255, here 0..16)
images, labels = tf.keras.datasets.load_digits()
images = images.reshape(-1, 8, 8)
(x_train, y_train), (x_test, y_test) = (images[:1500], labels[:1500]), (images[1500:], labels[1500:])
x_train, x_test = x_train / 16.0, x_test / 16.0

# Build a machine learning model
model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(8, 8)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
print(predictions)

print(tf.nn.softmax(predictions).numpy())

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

print(loss_fn(y_train[:1], predictions).numpy())

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])

# Train and evaluate your model
model.fit(x_train, y_train, epochs=5)

model.evaluate(x_test,  y_test, verbose=2)

probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])

print(probability_model(x_test[:5]))
