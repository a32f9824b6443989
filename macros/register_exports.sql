{% macro register_exports() %}
    {{ return(adapter.dispatch('register_exports', 'support_kpi')()) }}
{% endmacro %}

{% macro default__register_exports() %}
    {#- Other warehouses hold the exports as raw tables already (loaded by
        `support-kpi load`); nothing to register. -#}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__register_exports() %}
    {#- One view per export entity in var('raw_schema'), the union of every
        matching CSV and Parquet file, each column as text, plus the file
        name and the row number inside the file. -#}
    {% if not execute %}{{ return('') }}{% endif %}
    {% set exports_path = var('exports_path') | string %}
    {% set raw_schema = var('raw_schema') %}
    {% if exports_path | trim == '' %}
        {{ exceptions.raise_compiler_error(
            "var('exports_path') is empty: set it to the folder of the exports") }}
    {% endif %}
    {% set exports_path = exports_path.rstrip('/') %}
    {% do run_query('create schema if not exists ' ~ raw_schema) %}
    {% set entities = export_entities() %}
    {% for entity, spec in entities.items() %}
        {% set columns = spec.required + spec.optional %}
        {% set files = support_kpi.list_export_files(exports_path, entity) %}
        {% if files | length == 0 and spec.is_required_entity %}
            {{ exceptions.raise_compiler_error(
                "No " ~ entity ~ " export found in '" ~ exports_path ~ "': expected files named "
                ~ entity ~ "*.csv or " ~ entity ~ "*.parquet") }}
        {% endif %}
        {% set selects = [] %}
        {% for file in files %}
            {% do selects.append(support_kpi.export_file_select(file, entity, spec)) %}
        {% endfor %}
        {% if files | length == 0 %}
            {% do log(entity ~ ": no export files in " ~ exports_path ~ " (optional, left empty)", info=true) %}
            {% set empty_columns = [] %}
            {% for column in columns %}
                {% do empty_columns.append('cast(null as varchar) as ' ~ column) %}
            {% endfor %}
            {% do selects.append(
                'select ' ~ empty_columns | join(', ')
                ~ ', cast(null as varchar) as _source_file'
                ~ ', cast(null as bigint) as _source_row_number where false') %}
        {% else %}
            {% do log(entity ~ ": " ~ files | length ~ " export file(s) registered", info=true) %}
        {% endif %}
        {% do run_query(
            'create or replace view ' ~ raw_schema ~ '.' ~ entity ~ ' as\n'
            ~ selects | join('\nunion all\n')) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}

{% macro list_export_files(exports_path, entity) %}
    {#- Files of one entity, CSV and Parquet, in name order so that later
        exports sort after earlier ones. -#}
    {% set found = run_query(
        "select file from glob('" ~ exports_path ~ "/" ~ entity ~ "*.csv')"
        ~ " union all select file from glob('" ~ exports_path ~ "/" ~ entity ~ "*.parquet')"
        ~ " order by file") %}
    {{ return(found.columns[0].values() | list) }}
{% endmacro %}

{% macro export_file_reader(file) %}
    {%- if file.lower().endswith('.parquet') -%}
        read_parquet('{{ file | replace("'", "''") }}')
    {%- else -%}
        read_csv('{{ file | replace("'", "''") }}', all_varchar = true, header = true)
    {%- endif -%}
{% endmacro %}

{% macro export_file_select(file, entity, spec) %}
    {#- The select that maps one file onto the entity's canonical columns.
        Header names are matched case- and space-insensitively; a missing
        required column stops the build naming the file and the column. -#}
    {% set reader = support_kpi.export_file_reader(file) %}
    {% set described = run_query('describe select * from ' ~ reader) %}
    {% set header = {} %}
    {% for name in described.columns[0].values() %}
        {% do header.update({name | trim | lower: name}) %}
    {% endfor %}
    {% set missing = [] %}
    {% for column in spec.required %}
        {% if column not in header %}{% do missing.append(column) %}{% endif %}
    {% endfor %}
    {% if missing %}
        {{ exceptions.raise_compiler_error(
            "Export file '" ~ file ~ "' (" ~ entity ~ ") lacks required column(s): "
            ~ missing | join(', ') ~ ". Columns found: " ~ header.keys() | list | join(', ')) }}
    {% endif %}
    {% set projections = [] %}
    {% for column in spec.required + spec.optional %}
        {% if column in header %}
            {% do projections.append(
                'cast("' ~ header[column] | replace('"', '""') ~ '" as varchar) as ' ~ column) %}
        {% else %}
            {% do projections.append('cast(null as varchar) as ' ~ column) %}
        {% endif %}
    {% endfor %}
    {{ return(
        'select ' ~ projections | join(', ')
        ~ ", '" ~ file | replace("'", "''") ~ "' as _source_file"
        ~ ', cast(ordinality as bigint) as _source_row_number'
        ~ ' from ' ~ reader ~ ' with ordinality') }}
{% endmacro %}
