"""Run the graphmask CLI in a process where TensorFlow and Keras cannot be imported (``python -m tests.no_tensorflow``)."""

import sys


class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "jax", "torch"):
            raise ImportError(f"{name} is blocked: this run must not import it")


sys.meta_path.insert(0, _Blocked())

if __name__ == "__main__":
    from graphmask.cli import main

    sys.exit(main(sys.argv[1:]))
