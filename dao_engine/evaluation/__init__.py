"""Evaluation of crystal structure prediction: the CSP benchmark protocol (product.md).

Modules (import them directly; this package imports nothing so that the matching workers stay
light):
    validity  structural validity and SMACT composition validity of a prediction
    matching  pymatgen ``StructureMatcher`` match and normalised RMS distance, in a process pool
    protocol  1-shot, k-shot (oracle) and energy-selected match rates and RMSE; validity rates
    runner    sample a checkpoint on a test split, run the protocol, write a JSON record
"""
