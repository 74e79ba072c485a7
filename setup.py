"""Builds the Python module neardup (python/) with CMake: the same neardup_core as the command.

pip install --no-build-isolation --no-deps --no-index .   (see README "Python")

The extension is the CMake target _neardup, built in build-python/ (Release), or in an existing
build tree named by NEARDUP_BUILD_DIR (scripts/test reuses build-test/ so that the library is
compiled once). CMake is given this interpreter, so the module matches the Python that installs it.
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
# The CMake build tree; setuptools' own build files and the egg-info go in it too, so that two
# installs from one checkout with different trees do not share them.
BUILD_DIR = os.path.abspath(os.environ.get("NEARDUP_BUILD_DIR") or
                            os.path.join(ROOT, "build-python"))
os.makedirs(BUILD_DIR, exist_ok=True)


def _version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("project(neardup VERSION "):
                return line.split()[2]
    raise RuntimeError("no version in CMakeLists.txt")


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = BUILD_DIR
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            subprocess.check_call([
                "cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                "-DCMAKE_BUILD_TYPE=Release", "-DNEARDUP_PYTHON=ON",
                "-DNEARDUP_BUILD_TESTS=OFF", "-DNEARDUP_BUILD_BENCH=OFF",
                "-DPYTHON_EXECUTABLE=" + sys.executable,
            ])
        jobs = os.environ.get("NEARDUP_BUILD_JOBS", "2")
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_neardup", "--",
                               "-j" + jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(build_dir, "python", "neardup", "_neardup" + suffix)
        if not os.path.exists(built):
            raise RuntimeError(
                f"{built} was not built: the build tree {build_dir} was configured for another "
                f"Python than {sys.executable} (remove it, or unset NEARDUP_BUILD_DIR)")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    name="neardup",
    version=_version(),
    description="Finds exact and near-duplicate documents and clusters them",
    python_requires=">=3.9",
    packages=["neardup"],
    package_dir={"": "python"},
    package_data={"neardup": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("neardup._neardup", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join(BUILD_DIR, "setuptools")},
             "egg_info": {"egg_base": BUILD_DIR}},
    zip_safe=False,
)
