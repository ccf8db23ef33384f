"""Basic text classification: TensorFlow's tutorial (Embedding + GlobalAveragePooling1D) on generated reviews.

    python examples/text_classification.py [--out DIR]

Written as TensorFlow's "Basic text classification" tutorial (tensorflow.org/tutorials/keras/text_classification)
is: standardize and vectorize the text, then Embedding -> Dropout -> GlobalAveragePooling1D -> Dropout ->
Dense(1, sigmoid), binary cross-entropy, Adam, binary accuracy. Two changes so that it runs offline in seconds:
the reviews are generated here (sentences of sentiment, negation and filler words, so that the label is
in the text but no single word decides it), and the vectorizer is a few lines of Python with
`tf.keras.utils.pad_sequences` in place of the TextVectorization layer.
"""

import re
import string
import sys
from collections import Counter

import numpy as np

import pyminidl as tf
from _plotting import history_figure, parse_args, save, pyplot

layers = tf.keras.layers
losses = tf.keras.losses
SEED = 0

POSITIVE = "great wonderful moving brilliant funny charming superb delightful gripping beautiful".split()
NEGATIVE = "boring awful dull terrible predictable clumsy tedious weak messy forgettable".split()
SUBJECTS = "the movie the film the plot the acting the cast the script the ending the soundtrack".split(" the ")
FILLER = ("i watched it on a rainy sunday with friends after work and the cinema was full "
          "honestly this review is long overdue the director also made a documentary last year").split()


def generate_reviews(n, rng):
    """n reviews of a few sentences each and their labels (1 positive): 9 sentences in 10 lean to the label,
    about one sentence in seven is negated ("was not great"), and filler words surround them."""
    texts, labels = [], rng.randint(0, 2, n)
    for label in labels:
        sentences = []
        for _ in range(rng.randint(2, 6)):
            lean = label if rng.rand() < 0.9 else 1 - label
            negated = rng.rand() < 0.15
            word_side = lean if not negated else 1 - lean
            word = rng.choice(POSITIVE if word_side else NEGATIVE)
            subject = SUBJECTS[rng.randint(len(SUBJECTS))].strip()
            subject = subject if subject.startswith("the ") else "the " + subject
            filler = " ".join(rng.choice(FILLER, rng.randint(1, 5)))
            word = word.upper() if rng.rand() < 0.1 else word  # the standardization lowercases it
            sentences.append(f"{filler} {subject} was {'not ' if negated else ''}{word}.")
        texts.append("<br /> ".join(sentences))
    return texts, labels.astype("float32")


def custom_standardization(input_data):
    """The tutorial's standardization: lowercase, strip '<br />' and punctuation."""
    lowercase = input_data.lower()
    stripped_html = lowercase.replace("<br />", " ")
    return re.sub("[%s]" % re.escape(string.punctuation), "", stripped_html)


class Vectorizer:
    """TextVectorization(max_tokens, output_mode='int', output_sequence_length) as the tutorial uses it:
    0 is padding, 1 the out-of-vocabulary token, then the words by falling frequency."""

    def __init__(self, max_tokens, sequence_length):
        self.max_tokens, self.sequence_length = max_tokens, sequence_length
        self.vocabulary = {}

    def adapt(self, texts):
        counts = Counter(w for t in texts for w in custom_standardization(t).split())
        words = sorted(counts, key=lambda w: (-counts[w], w))[:self.max_tokens - 2]
        self.vocabulary = {w: i + 2 for i, w in enumerate(words)}

    def __call__(self, texts):
        ids = [[self.vocabulary.get(w, 1) for w in custom_standardization(t).split()] for t in texts]
        return tf.keras.utils.pad_sequences(ids, maxlen=self.sequence_length, padding="post", truncating="post")


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tf.keras.utils.set_random_seed(SEED)
    rng = np.random.RandomState(SEED)

    raw_train, y_train = generate_reviews(10000, rng)
    raw_val, y_val = generate_reviews(500, rng)
    raw_test, y_test = generate_reviews(1000, rng)
    print("Review:", raw_train[0])
    print("Label:", int(y_train[0]), "(positive)" if y_train[0] else "(negative)")

    max_features = 1000
    sequence_length = 64
    vectorize_layer = Vectorizer(max_features, sequence_length)
    vectorize_layer.adapt(raw_train)  # the vocabulary comes from the training text only
    x_train, x_val, x_test = vectorize_layer(raw_train), vectorize_layer(raw_val), vectorize_layer(raw_test)
    print("Vectorized review:", x_train[0][:16], "...")
    print("Vocabulary size:", len(vectorize_layer.vocabulary) + 2)

    embedding_dim = 16
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(sequence_length,)),
        layers.Embedding(max_features, embedding_dim),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid")])
    model.summary()

    model.compile(loss=losses.BinaryCrossentropy(), optimizer="adam",
                  metrics=[tf.keras.metrics.BinaryAccuracy(threshold=0.5)])

    epochs = 10
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("Loss: ", loss)
    print("Accuracy: ", accuracy)

    curves = history_figure(history, args.out / "text_classification_training.png",
                            metrics=["loss", "binary_accuracy"], title="Text classification: training and validation")
    examples = ["the movie was great. the acting was wonderful.", "the movie was okay.",
                "the plot was terrible. the film was not brilliant."]
    scores = model.predict(vectorize_layer(examples))[:, 0]
    for text, score in zip(examples, scores):
        print(f"{score:.3f}  {text}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(model.predict(x_test)[y_test == 1, 0], bins=20, alpha=0.6, label="positive reviews")
    ax.hist(model.predict(x_test)[y_test == 0, 0], bins=20, alpha=0.6, label="negative reviews")
    ax.set_xlabel("predicted probability of 'positive'")
    ax.legend()
    fig.tight_layout()
    scores_fig = save(fig, args.out / "text_classification_scores.png")
    return {"test_loss": loss, "test_accuracy": accuracy, "figures": [curves, scores_fig]}


if __name__ == "__main__":
    main(sys.argv[1:])
