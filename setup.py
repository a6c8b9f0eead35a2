"""The one compiled module: the ruin-and-recreate's inner loop (``routing/_sisr.c``).

Everything else about the package is in ``pyproject.toml``; setuptools reads both.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "routing._sisr",
            sources=["routing/_sisr.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        )
    ]
)
