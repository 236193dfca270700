"""What supervisors see: KPI definitions, dashboard figures, the diagram heatmap, joint meetings and
monthly reports."""
