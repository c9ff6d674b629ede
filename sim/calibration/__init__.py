"""Calibration of free parameters to published facts.

docs/calibration.md fits behaviour in groups; docs/calibration_network.md the ties'
dynamics. A calibration file (``experiments/calibration/*.yaml``) names a standard scenario, the
free parameters to fit with their prior ranges, and fact targets; :func:`calibrate`
fits them by approximate Bayesian computation (pyabc's ABC-SMC) and returns the accepted
particles. Book claims are never targets: the model's answers to them must stay outcomes.
"""

from sim.calibration.fit import CalibrationResult, calibrate
from sim.calibration.spec import Calibration, LoadedCalibration, load_calibration

__all__ = ["Calibration", "CalibrationResult", "LoadedCalibration", "calibrate", "load_calibration"]
