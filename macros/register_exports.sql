{% macro register_exports() %}
    {{ return(adapter.dispatch('register_exports', 'support_kpi')()) }}
{% endmacro %}

{% macro default__register_exports() %}
    {#- Other warehouses are expected to hold the exports as raw tables in
        var('raw_schema'), with the same columns; nothing to register. -#}
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
    {% if var('customer_id_salt') == 'support-kpi-sample-salt'
        and exports_path.rstrip('/').split('/')[-1] != 'sample_exports' %}
        {% do exceptions.warn(
            "customer_id is salted with the public sample salt: set SUPPORT_KPI_SALT (or var"
            ~ " customer_id_salt) to a secret of your own, or customer_id can be matched back"
            ~ " to e-mail addresses by hashing guesses.") %}
    {% endif %}
    {% do run_query('create schema if not exists ' ~ raw_schema) %}
    {% do support_kpi.prepare_load_state() %}
    {% set entities = export_entities() %}
    {% set base_models = {} %}
    {% for models in export_entity_models() %}
        {% do base_models.update({models.entity: models.base}) %}
    {% endfor %}
    {% set registered_files = [] %}
    {% for entity, spec in entities.items() %}
        {% set columns = spec.required + spec.optional %}
        {% set files = support_kpi.list_export_files(exports_path, entity) %}
        {% if files | length == 0 and spec.is_required_entity %}
            {{ exceptions.raise_compiler_error(
                "No " ~ entity ~ " export found in '" ~ exports_path ~ "': expected files named "
                ~ entity ~ "*.csv or " ~ entity ~ "*.parquet") }}
        {% endif %}
        {#- On a daily load, files an incremental base model has read before
            are not read again (every file still counts in export_files). -#}
        {% set loaded = support_kpi.loaded_export_files(base_models[entity]) %}
        {% set selects = [] %}
        {% for file in files %}
            {% do registered_files.append(
                "('" ~ entity ~ "', '" ~ file | replace("'", "''") ~ "')") %}
            {% if file not in loaded %}
                {% do selects.append(support_kpi.export_file_select(file, entity, spec)) %}
            {% endif %}
        {% endfor %}
        {% if selects | length == 0 %}
            {% if files | length == 0 %}
                {% do log(entity ~ ": no export files in " ~ exports_path ~ " (optional, left empty)", info=true) %}
            {% else %}
                {% do log(entity ~ ": " ~ files | length ~ " export file(s), all read before", info=true) %}
            {% endif %}
            {% set empty_columns = [] %}
            {% for column in columns %}
                {% do empty_columns.append('cast(null as varchar) as ' ~ column) %}
            {% endfor %}
            {% do selects.append(
                'select ' ~ empty_columns | join(', ')
                ~ ', cast(null as varchar) as _source_file'
                ~ ', cast(null as bigint) as _source_row_number'
                ~ ', cast(null as varchar) as _raw_record where false') %}
        {% else %}
            {% do log(entity ~ ": " ~ files | length ~ " export file(s) registered, "
                ~ selects | length ~ " to read", info=true) %}
        {% endif %}
        {% do run_query(
            'create or replace view ' ~ raw_schema ~ '.' ~ entity ~ ' as\n'
            ~ selects | join('\nunion all\n')) %}
    {% endfor %}
    {#- Files that belong to no entity are worth a word: a misnamed export
        would otherwise be missed without a trace. -#}
    {% set all_files = run_query(
        "select file from glob('" ~ exports_path | replace("'", "''") ~ "/*') order by file"
        ).columns[0].values() | list %}
    {% set data_suffixes = ('.csv', '.parquet', '.tsv', '.txt', '.json', '.xlsx', '.gz') %}
    {% for file in all_files
        if file.lower().endswith(data_suffixes)
        and (", '" ~ file | replace("'", "''") ~ "')") not in registered_files | join(' ') %}
        {% do exceptions.warn("Export folder file '" ~ file ~ "' matches no export entity ("
            ~ entities.keys() | join(', ') ~ ") and was not read.") %}
    {% endfor %}
    {#- Every file read, even one without data rows, for the load audit. -#}
    {% do run_query(
        'create or replace view ' ~ raw_schema ~ '.export_files as select * from (values '
        ~ registered_files | join(', ') ~ ') as files(entity, source_file)') %}
    {{ return('') }}
{% endmacro %}

{% macro list_export_files(exports_path, entity) %}
    {#- Files of one entity, CSV and Parquet, matched whatever the case of
        their names, in name order so that later exports sort after earlier
        ones. -#}
    {% set found = run_query(
        "select file from glob('" ~ exports_path | replace("'", "''") ~ "/*')"
        ~ " where regexp_full_match(lower(parse_filename(file)), '"
        ~ entity ~ ".*\\.(csv|parquet)') order by file") %}
    {{ return(found.columns[0].values() | list) }}
{% endmacro %}

{% macro export_file_reader(file, header=true, parquet_row_number=false) %}
    {#- Every CSV value as text. Short rows are padded with nulls (their
        missing fields are then reported as missing), which the reader only
        allows together with quoted line breaks when it reads sequentially.
        parquet_row_number adds the Parquet reader's own 0-based row index,
        file_row_number. -#}
    {%- if file.lower().endswith('.parquet') -%}
        read_parquet(
            '{{ file | replace("'", "''") }}'
            {%- if parquet_row_number %}, file_row_number = true{% endif -%}
        )
    {%- else -%}
        read_csv(
            '{{ file | replace("'", "''") }}',
            all_varchar = true,
            header = {{ 'true' if header else 'false' }},
            null_padding = true,
            parallel = false
        )
    {%- endif -%}
{% endmacro %}

{% macro export_file_header(file, entity) %}
    {#- The file's column names as written, or a clear stop when the file is
        empty or names a canonical column twice. -#}
    {% set size = run_query(
        "select size from read_blob('" ~ file | replace("'", "''") ~ "')").columns[0].values()[0] %}
    {% if size == 0 %}
        {{ exceptions.raise_compiler_error(
            "Export file '" ~ file ~ "' (" ~ entity ~ ") is empty (0 bytes): "
            ~ "an export needs at least a header row.") }}
    {% endif %}
    {% set described = run_query('describe select * from ' ~ support_kpi.export_file_reader(file)) %}
    {% set names = described.columns[0].values() | list %}
    {% if not file.lower().endswith('.parquet') %}
        {#- The reader renames a repeated header (x, x_1); read the first line
            as data to see the names as written. -#}
        {% set first_line = run_query(
            'select * from ' ~ support_kpi.export_file_reader(file, header=false) ~ ' limit 1') %}
        {% set written = [] %}
        {% for value in first_line.rows[0].values() %}
            {% do written.append((value or '') | trim | lower) %}
        {% endfor %}
        {% set canonical = export_entities()[entity].required + export_entities()[entity].optional %}
        {% for name in canonical %}
            {% if written.count(name) > 1 %}
                {{ exceptions.raise_compiler_error(
                    "Export file '" ~ file ~ "' (" ~ entity ~ ") has the column '" ~ name
                    ~ "' " ~ written.count(name) ~ " times in its header: keep one.") }}
            {% endif %}
        {% endfor %}
    {% endif %}
    {{ return(names) }}
{% endmacro %}

{% macro export_file_select(file, entity, spec) %}
    {#- The select that maps one file onto the entity's canonical columns,
        with the untouched row as JSON in _raw_record. Header names are
        matched case- and space-insensitively; a missing required column
        stops the build naming the file and the column. -#}
    {% set names = support_kpi.export_file_header(file, entity) %}
    {% set lowered_names = names | map('lower') | list %}
    {% set header = {} %}
    {% for name in names %}
        {% do header.update({name | trim | lower: name}) %}
    {% endfor %}
    {% set missing = [] %}
    {% for column in spec.required %}
        {% if column not in header %}{% do missing.append(column) %}{% endif %}
    {% endfor %}
    {% if missing %}
        {{ exceptions.raise_compiler_error(
            "Export file '" ~ file ~ "' (" ~ entity ~ ") lacks required column(s): "
            ~ missing | join(', ') ~ ". Columns found: " ~ names | join(', ')
            ~ ". If those look like data, the header row is missing; if it is one"
            ~ " long name, the delimiter was not recognised.") }}
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
    {% set record_fields = [] %}
    {% for name in names %}
        {% do record_fields.append(
            "'" ~ name | replace("'", "''") ~ "', \"" ~ name | replace('"', '""') ~ '"') %}
    {% endfor %}
    {#- Row numbers count from 1: a Parquet file's own row index (which
        lets the file be read in parallel), otherwise the reading order.
        The reading order's column gets a name no column of the file has,
        so that a file's own 'ordinality' or 'file_row_number' column stays
        data (kept in the raw record) and never becomes the row number. -#}
    {% if file.lower().endswith('.parquet') and 'file_row_number' not in lowered_names %}
        {% set row_number = 'file_row_number + 1' %}
        {% set from_reader = support_kpi.export_file_reader(file, parquet_row_number=true) %}
    {% else %}
        {% set index = namespace(name='export_row_index') %}
        {% for _ in range(lowered_names | length + 1) %}
            {% if index.name in lowered_names %}{% set index.name = '_' ~ index.name %}{% endif %}
        {% endfor %}
        {% set aliases = [] %}
        {% for name in names %}
            {% do aliases.append('"' ~ name | replace('"', '""') ~ '"') %}
        {% endfor %}
        {% set row_number = 'export_rows.' ~ index.name %}
        {% set from_reader = support_kpi.export_file_reader(file) ~ ' with ordinality as export_rows('
            ~ aliases | join(', ') ~ ', ' ~ index.name ~ ')' %}
    {% endif %}
    {{ return(
        'select ' ~ projections | join(', ')
        ~ ", '" ~ file | replace("'", "''") ~ "' as _source_file"
        ~ ', cast(' ~ row_number ~ ' as bigint) as _source_row_number'
        ~ ', cast(json_object(' ~ record_fields | join(', ') ~ ') as varchar) as _raw_record'
        ~ ' from ' ~ from_reader) }}
{% endmacro %}
