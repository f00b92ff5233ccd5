"""A model from code as a flavorkit user writes it: flavorkit_pythonmodel's set_model."""

from flavorkit_pythonmodel import PythonModel, set_model


class RowTotals(PythonModel):
    def predict(self, context, model_input, params=None):
        scale = float((params or {}).get("scale", 1.0))
        return model_input.assign(total=model_input.sum(axis=1) * scale)


set_model(RowTotals())
