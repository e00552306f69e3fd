"""Builds wphost._core with the project's own CMake build (no scikit-build,
no downloads) and packages it with the pure-Python `wphost` package.

    pip install --no-build-isolation ./bindings/python

Needs the packages of scripts/install-deps (a C++ compiler, CMake, pybind11,
Boost, ... from Debian)."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def project_version() -> str:
    text = (ROOT / "include" / "wphost" / "version.h").read_text()
    return re.search(r'#define WPH_VERSION_STRING "([^"]+)"', text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DWPH_BUILD_TESTS=OFF", "-DWPH_BUILD_EXAMPLES=OFF",
            "-DWPH_BUILD_SHARED=OFF", "-DWPH_BUILD_STATIC=OFF", "-DWPH_BUILD_PYTHON=ON",
        ]
        subprocess.run(configure, check=True)
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_core", "-j", jobs], check=True)
        built = next((build_dir / "python" / "wphost").glob("_core*.so"))
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, dest)


setup(
    name="wphost",
    version=project_version(),
    description="Managed WordPress hosting engine (Python binding of libwphost)",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=["wphost"],
    package_data={"wphost": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("wphost._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
