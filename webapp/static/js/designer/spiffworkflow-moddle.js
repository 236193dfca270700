/* Moddle descriptor of the SpiffWorkflow extensions our engine reads (passed to bpmn-js as
   moddleExtensions.spiffworkflow), so the modeler edits them as typed elements and writes them
   back under the same namespace: spiffworkflow:properties/property (formKey, stage, status,
   dueIn, priority), calledDecisionId, preScript, postScript, instructionsForEndUser, messageVariable
   (an unknown element would be dropped on save: the ad-hoc inspection lost its request). */
window.SpiffworkflowModdle = {
  name: "SpiffWorkflow",
  prefix: "spiffworkflow",
  uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "Properties",
      superClass: ["Element"],
      properties: [{ name: "properties", type: "Property", isMany: true }]
    },
    {
      name: "Property",
      superClass: ["Element"],
      properties: [
        { name: "name", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true }
      ]
    },
    { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "PreScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "PostScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "InstructionsForEndUser", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "MessageVariable", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] }
  ]
};
