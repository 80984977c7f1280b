DROP TABLE audit_export_links;
