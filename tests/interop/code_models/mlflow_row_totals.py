"""A model from code as an MLflow user writes it: mlflow's PythonModel and set_model."""

import mlflow.pyfunc
from mlflow.models import set_model


class RowTotals(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        scale = float((params or {}).get("scale", 1.0))
        return model_input.assign(total=model_input.sum(axis=1) * scale)


set_model(RowTotals())
