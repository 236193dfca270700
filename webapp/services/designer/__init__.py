"""Process definitions: deployed versions (BPMN, DMN, forms) and their parsed bundles, deploying
new versions, and the task forms each version carries."""
