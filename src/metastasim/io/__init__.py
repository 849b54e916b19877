"""Model files in and out: bnet, MaBoSS, SBML-qual and YAML, one module per format."""

from metastasim.io.bnet import parse_bnet, read_bnet, to_bnet, write_bnet
from metastasim.io.maboss import parse_maboss, read_maboss, to_maboss, write_maboss

__all__ = [
    "read_bnet", "parse_bnet", "write_bnet", "to_bnet",
    "read_maboss", "parse_maboss", "write_maboss", "to_maboss",
]
