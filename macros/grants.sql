{% macro grant_marts_schema_usage() %}
    {#- on-run-end: let the dashboards' role ($SUPPORT_KPI_BI_READER_ROLE,
        default bi_reader) into the schemas of the marts
        (dbt's grants config covers the tables, not their schema). -#}
    {{ return(adapter.dispatch('grant_marts_schema_usage', 'support_kpi')()) }}
{% endmacro %}

{% macro default__grant_marts_schema_usage() %}
    {#- DuckDB and Spark have no roles: nothing to grant. -#}
    {{ return('') }}
{% endmacro %}
