{#- Spark SQL implementations of the project's engine-specific macros, for
    the `spark` target (dbt-spark, session method). Each gives the same
    values as the duckdb__ version of the same name. Spark string literals
    treat a backslash as an escape character, so regular expressions are
    written once, as RE2/POSIX text like DuckDB's, and turned into Spark
    literals by spark_regex_literal. -#}

{% macro spark_regex_literal(pattern) %}
    {#- A regular expression as a Spark string literal (backslashes and
        single quotes escaped). -#}
    {{- return("'" ~ pattern | replace('\\', '\\\\') | replace("'", "\\'") ~ "'") -}}
{% endmacro %}

{% macro spark_full_match(value, pattern) %}
    {#- True when the whole of value matches pattern, as DuckDB's
        regexp_full_match: anchored at both ends (\z, so a trailing line
        break does not match as it would before Java's $). -#}
    {{- return('(' ~ value ~ ') rlike ' ~ spark_regex_literal('^(?:' ~ pattern ~ ')\\z')) -}}
{% endmacro %}

{% macro spark_matches(value, pattern) %}
    {#- True when pattern matches anywhere in value, as DuckDB's regexp_matches. -#}
    {{- return('(' ~ value ~ ') rlike ' ~ spark_regex_literal(pattern)) -}}
{% endmacro %}

{% macro spark__normalize_label(column) %}
    regexp_replace(lower(trim({{ column }})), {{ spark_regex_literal('\\s+') }}, ' ')
{% endmacro %}

{% macro spark__parse_integer(column) %}
    case
        when {{ spark_full_match('trim(' ~ column ~ ')', '[+-]?[0-9]+(\\.0+)?') }}
            then try_cast(try_cast(trim({{ column }}) as decimal(38, 4)) as bigint)
    end
{% endmacro %}

{% macro spark__parse_decimal(column) %}
    {#- The forms and rules of duckdb__parse_decimal. -#}
    {%- set value = "regexp_replace(trim(" ~ column ~ "), " ~ spark_regex_literal('\\s') ~ ", '')" -%}
    case
        when {{ spark_full_match(value, '[+-]?[0-9]{1,3}(\\.[0-9]{3})+,[0-9]+') }}
            then try_cast(replace(replace({{ value }}, '.', ''), ',', '.') as decimal(18, 4))
        when {{ spark_full_match(value, '[+-]?[0-9]{1,3}(,[0-9]{3})+\\.[0-9]+') }}
            then try_cast(replace({{ value }}, ',', '') as decimal(18, 4))
        when {{ spark_full_match(value, '[+-]?[0-9]*,[0-9]+') }}
            then try_cast(replace({{ value }}, ',', '.') as decimal(18, 4))
        when {{ spark_full_match(value, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)') }}
            then try_cast({{ value }} as decimal(18, 4))
    end
{% endmacro %}

{% macro spark__parse_timestamp(column, source_timezone) %}
    {#- The forms and branches of duckdb__parse_timestamp. Within the offset
        branch only what DuckDB's timestamptz cast reads is read (Z, ' UTC',
        +HH, +HHMM, +HH:MM right after the time), and day-first dates are
        built from their parts, so impossible dates and 24:00 are null. -#}
    {%- set value = 'trim(' ~ column ~ ')' -%}
    {%- set tz = source_timezone | replace("'", "\\'") -%}
    {%- set day_first = '([0-9]{1,2})\\.([0-9]{1,2})\\.([0-9]{4})( ([0-9]{1,2}):([0-9]{2})(:([0-9]{2}))?)?' -%}
    {%- set day_first_part = "try_cast(regexp_extract(" ~ value ~ ", " ~ spark_regex_literal('^' ~ day_first ~ '\\z')
        ~ ", @) as " ~ dbt.type_int() ~ ")" -%}
    {%- set day_first_local -%}
        case
            when coalesce({{ day_first_part | replace('@', '8') }}, 0) < 60
                then make_timestamp(
                    {{ day_first_part | replace('@', '3') }},
                    {{ day_first_part | replace('@', '2') }},
                    {{ day_first_part | replace('@', '1') }},
                    coalesce({{ day_first_part | replace('@', '5') }}, 0),
                    coalesce({{ day_first_part | replace('@', '6') }}, 0),
                    coalesce({{ day_first_part | replace('@', '8') }}, 0)
                )
        end
    {%- endset -%}
    {%- set naive_local = 'try_cast(' ~ value ~ ' as timestamp)' -%}
    case
        when {{ spark_full_match(value, '-?[0-9]{9,11}') }}
            then timestamp_seconds(try_cast({{ value }} as bigint))
        when {{ spark_full_match(value, '-?[0-9]{12,14}') }}
            then timestamp_millis(try_cast({{ value }} as bigint))
        when {{ spark_matches(
            value, '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)? ?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)\\z'
        ) }}
            then case
                when {{ spark_full_match(
                    value,
                    '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?'
                    ~ '(Z| UTC|[+-][0-9]{2}(:?[0-9]{2})?)'
                ) }}
                    then try_cast(regexp_replace({{ value }}, ' UTC$', 'Z') as timestamp)
            end
        when {{ spark_full_match(value, day_first) }}
            then {{ support_kpi.to_utc(day_first_local, source_timezone) }}
        when {{ spark_full_match(
            value, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?'
        ) }}
            then {{ support_kpi.to_utc(naive_local, source_timezone) }}
    end
{% endmacro %}

{% macro spark__looks_like_personal_data(column) %}
    {#- The rules of duckdb__looks_like_personal_data. -#}
    (
        {{ spark_matches(column, '[^\\s@]+@[^\\s@]+\\.[^\\s@]{2,}') }}
        or (
            {{ spark_full_match('trim(' ~ column ~ ')', '\\+?[0-9][0-9 ()./-]{5,22}[0-9]') }}
            and length(regexp_replace({{ column }}, '[^0-9]', '')) between 7 and 15
            and {{ spark_matches('trim(' ~ column ~ ')', '^\\+|[ ()-]') }}
            and not {{ spark_full_match('trim(' ~ column ~ ')', '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?') }}
            and not {{ spark_full_match('trim(' ~ column ~ ')', '[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{4}( .*)?') }}
        )
    )
{% endmacro %}

{% macro spark__pseudonymize(column, salt) %}
    {#- sha2 of the UTF-8 bytes, as DuckDB's sha256: the same keys. -#}
    case
        when {{ column }} is not null
            then left(sha2(concat('{{ salt | replace("\\", "\\\\") | replace("'", "\\'") }}', {{ column }}), 256), 32)
    end
{% endmacro %}

{% macro spark__to_utc(column, timezone) %}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        to_utc_timestamp({{ column }}, '{{ timezone }}')
    {%- endif -%}
{% endmacro %}

{% macro spark__from_utc(column, timezone) %}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        from_utc_timestamp({{ column }}, '{{ timezone }}')
    {%- endif -%}
{% endmacro %}

{% macro spark__iso_weekday(date_column) %}
    {#- weekday() counts from 0 = Monday. -#}
    (weekday({{ date_column }}) + 1)
{% endmacro %}

{% macro spark__percentile(column, fraction) %}
    {#- Spark's percentile is exact and interpolates, as percentile_cont. -#}
    percentile({{ column }}, {{ fraction }})
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {#- Seeds with each value written as an escaped literal. dbt-spark's
        session method formats bindings with neither escaping nor nulls, so
        "New Year's Day" breaks the insert and an empty cell becomes the
        text 'None'. -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for col_name in agate_table.column_names -%}
                {%- set column_type = column_override.get(
                    col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- set value = row[loop.index0] -%}
                {%- if value is none -%}
                    {%- do values.append('cast(null as ' ~ column_type ~ ')') -%}
                {%- else -%}
                    {%- do values.append(
                        "cast('" ~ (value | string) | replace('\\', '\\\\') | replace("'", "\\'")
                        ~ "' as " ~ column_type ~ ")") -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values\n' ~ rows | join(',\n') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    {#- dbt-spark adds hours, minutes and seconds through whole Unix seconds,
        dropping the fraction of a second that DuckDB and PostgreSQL keep
        (a ticket stamped in epoch milliseconds). timestampadd keeps it;
        days, weeks, months and years stay dbt-spark's. -#}
    {%- if datepart in ('hour', 'minute', 'second') -%}
        timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
    {%- else -%}
        {{ dbt_spark.spark__dateadd(datepart, interval, from_date_or_timestamp) }}
    {%- endif -%}
{% endmacro %}
