"""Model files in and out: bnet, MaBoSS, SBML-qual and YAML, one module per format.

:func:`read_model` and :func:`write_model` pick the format from the file suffix;
:func:`apply_cfg` applies MaBoSS ``.cfg`` files to a model of any format.
"""

from metastasim.io.bnet import parse_bnet, read_bnet, to_bnet, write_bnet
from metastasim.io.formats import FORMATS, format_of, read_model, write_model
from metastasim.io.maboss import apply_cfg, parse_maboss, read_maboss, to_maboss, write_maboss
from metastasim.io.maboss_results import read_fp, read_probtraj, write_maboss_results
from metastasim.io.sbmlqual import parse_sbmlqual, read_sbmlqual, to_sbmlqual, write_sbmlqual
from metastasim.io.yaml import parse_yaml, read_yaml, to_yaml, write_yaml

__all__ = [
    "read_model",
    "write_model",
    "format_of",
    "FORMATS",
    "read_bnet",
    "parse_bnet",
    "write_bnet",
    "to_bnet",
    "read_maboss",
    "parse_maboss",
    "write_maboss",
    "to_maboss",
    "write_maboss_results",
    "read_probtraj",
    "read_fp",
    "apply_cfg",
    "read_sbmlqual",
    "parse_sbmlqual",
    "write_sbmlqual",
    "to_sbmlqual",
    "read_yaml",
    "parse_yaml",
    "write_yaml",
    "to_yaml",
]
