"""The drawing demo as a Hugging Face Space (the Space runs ``python app.py``): docs/demo.md."""

import os
import sys

from mnist_compare.space import launch_space

if __name__ == "__main__":
    sys.exit(launch_space(environ=os.environ))
