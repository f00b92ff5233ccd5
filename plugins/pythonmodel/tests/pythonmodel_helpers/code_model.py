"""A model from code, as a user writes one: define the model, end with set_model()."""

import pandas as pd

from flavorkit_pythonmodel import PythonModel, set_model


class RowTotals(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None):
        return model_input.assign(total=model_input.sum(axis=1))


set_model(RowTotals())
