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

{% macro spark_lower(value) %}
    {#- lower() one character at a time, as DuckDB's: Java's lower-casing
        turns İ into i and a combining dot, and a word-final Σ into ς. -#}
    {{- return("lower(replace(replace(" ~ value ~ ", 'İ', 'i'), 'Σ', 'σ'))") -}}
{% endmacro %}

{% macro spark__normalize_label(column) %}
    regexp_replace(
        {{ spark_lower('trim(' ~ column ~ ')') }}, {{ spark_regex_literal('[\\t\\n\\f\\r ]+') }}, ' '
    )
{% endmacro %}

{% macro spark__normalize_email(column) %}
    {{ spark_lower('trim(' ~ column ~ ')') }}
{% endmacro %}

{% macro spark__parse_integer(column) %}
    case
        when {{ spark_full_match('trim(' ~ column ~ ')', '[+-]?[0-9]+(\\.0+)?') }}
            then try_cast(try_cast(trim({{ column }}) as decimal(38, 4)) as bigint)
    end
{% endmacro %}

{% macro spark__parse_decimal(column) %}
    {#- The forms and rules of duckdb__parse_decimal. -#}
    {%- set value = "regexp_replace(trim(" ~ column ~ "), " ~ spark_regex_literal('[\\t\\n\\f\\r ]') ~ ", '')" -%}
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

{% macro spark_regex_group(value, pattern, group) %}
    {#- Capture group `group` of pattern matched against the whole value, or
        '' when it took no part in the match. -#}
    {{- return('regexp_extract(' ~ value ~ ', ' ~ spark_regex_literal('^(?:' ~ pattern ~ ')\\z') ~ ', ' ~ group ~ ')') -}}
{% endmacro %}

{% macro spark_timestamp_from_fields(
    sign, year, month, day, hour, minute, second, fraction, allow_midnight_24
) %}
    {#- A timestamp from digit fields (text matched by a pattern; hour,
        minute, second and fraction may be ''), or null when they name no
        real instant, with DuckDB's rules: microseconds beyond the sixth
        fraction digit are cut, 24:00:00 is the next midnight where
        allow_midnight_24 holds, year 0 is 1 BC. make_timestamp alone would
        turn second 60 into the next minute. -#}
    {%- set y = "try_cast(concat(" ~ sign ~ ", " ~ year ~ ") as int)" -%}
    {%- set m = "try_cast(" ~ month ~ " as int)" -%}
    {%- set d = "try_cast(" ~ day ~ " as int)" -%}
    {%- set h = "try_cast(coalesce(nullif(" ~ hour ~ ", ''), '0') as int)" -%}
    {%- set mi = "try_cast(coalesce(nullif(" ~ minute ~ ", ''), '0') as int)" -%}
    {%- set s = "try_cast(coalesce(nullif(" ~ second ~ ", ''), '0') as int)" -%}
    {%- set micro = "rpad(substr(" ~ fraction ~ ", 1, 6), 6, '0')" -%}
    case
        when {{ h }} < 24 and {{ mi }} < 60 and {{ s }} < 60
            then make_timestamp(
                {{ y }}, {{ m }}, {{ d }}, {{ h }}, {{ mi }},
                try_cast(concat({{ s }}, '.', {{ micro }}) as decimal(8, 6))
            )
        when
            ({{ allow_midnight_24 }})
            and {{ h }} = 24 and {{ mi }} = 0 and {{ s }} = 0
            and {{ spark_full_match(fraction, '0*') }}
            then timestampadd(day, 1, make_timestamp({{ y }}, {{ m }}, {{ d }}, 0, 0, 0))
    end
{% endmacro %}

{% macro spark__parse_timestamp(column, source_timezone) %}
    {#- The branches are duckdb__parse_timestamp's (they exclude each
        other), and each form is read as DuckDB reads it, from its fields:
        a value whose end looks like a zoned time is read only in the forms
        DuckDB's timestamptz cast reads (year of up to 6 digits, - or /
        twice, T and/or white space, [H]H:[M]M[:SS[.fraction]], then Z,
        ' UTC', +HH, +HHMM or +HH:MM with any two digits), else null; epoch
        milliseconds go through double precision as DuckDB's
        to_timestamp(ms / 1000.0) does. -#}
    {%- set value = 'trim(' ~ column ~ ')' -%}
    {%- set space = '[\\t\\n\\x0B\\f\\r ]' -%}
    {%- set zoned = '(-?)0*([0-9]{1,6})(?:-([0-9]{1,2})-|/([0-9]{1,2})/)([0-9]{1,2})(?:T|T?' ~ space ~ '+)'
        ~ '([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{2})(?:\\.([0-9]+))?)?( UTC|Z|([+-])([0-9]{2})(?::?([0-9]{2}))?)' -%}
    {%- set dotted = '([0-9]{1,2})\\.([0-9]{1,2})\\.([0-9]{4})(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?' -%}
    {%- set naive = '([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]+))?)?)?' -%}
    {%- set z = [] -%}
    {%- for group in range(14) -%}
        {%- do z.append(spark_regex_group(value, zoned, group)) -%}
    {%- endfor -%}
    {%- set zoned_local = spark_timestamp_from_fields(
        z[1], z[2], 'concat(' ~ z[3] ~ ', ' ~ z[4] ~ ')', z[5], z[6], z[7], z[8], z[9], 'true') -%}
    {%- set offset_minutes -%}
        case
            when {{ z[10] }} in (' UTC', 'Z') then 0
            else
                (case when {{ z[11] }} = '-' then -1 else 1 end)
                * (cast({{ z[12] }} as int) * 60 + coalesce(try_cast(nullif({{ z[13] }}, '') as int), 0))
        end
    {%- endset -%}
    {%- set dotted_local = spark_timestamp_from_fields(
        "''",
        spark_regex_group(value, dotted, 3),
        spark_regex_group(value, dotted, 2),
        spark_regex_group(value, dotted, 1),
        spark_regex_group(value, dotted, 4),
        spark_regex_group(value, dotted, 5),
        spark_regex_group(value, dotted, 6),
        "''",
        'false') -%}
    {%- set naive_local = spark_timestamp_from_fields(
        "''",
        spark_regex_group(value, naive, 1),
        spark_regex_group(value, naive, 2),
        spark_regex_group(value, naive, 3),
        spark_regex_group(value, naive, 4),
        spark_regex_group(value, naive, 5),
        spark_regex_group(value, naive, 6),
        spark_regex_group(value, naive, 7),
        'true') -%}
    case
        when {{ spark_full_match(value, '-?[0-9]{9,11}') }}
            then timestamp_seconds(try_cast({{ value }} as bigint))
        when {{ spark_full_match(value, '-?[0-9]{12,14}') }}
            then timestamp_micros(cast(bround(cast({{ value }} as double) / 1000 * 1000000) as bigint))
        when {{ spark_matches(
            value, '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)? ?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)\\z'
        ) }}
            then case
                when {{ spark_full_match(value, zoned) }}
                    then timestampadd(minute, -({{ offset_minutes }}), {{ zoned_local }})
            end
        when {{ spark_full_match(value, dotted) }}
            then {{ support_kpi.to_utc(dotted_local, source_timezone) }}
        when {{ spark_full_match(value, naive) }}
            then {{ support_kpi.to_utc(naive_local, source_timezone) }}
    end
{% endmacro %}

{% macro spark__looks_like_personal_data(column) %}
    {#- The rules of duckdb__looks_like_personal_data. -#}
    (
        {{ spark_matches(column, '[^\\t\\n\\f\\r @]+@[^\\t\\n\\f\\r @]+\\.[^\\t\\n\\f\\r @]{2,}') }}
        or (
            {{ spark_full_match('trim(' ~ column ~ ')', '\\+?[0-9][0-9 ()./-]{5,22}[0-9]') }}
            and length(regexp_replace({{ column }}, '[^0-9]', '')) between 7 and 15
            and {{ spark_matches('trim(' ~ column ~ ')', '^\\+|[ ()-]') }}
            and not {{ spark_full_match('trim(' ~ column ~ ')', '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][^\\n]*)?') }}
            and not {{ spark_full_match('trim(' ~ column ~ ')', '[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{4}( [^\\n]*)?') }}
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
    {#- to_utc_timestamp reads a wall-clock time that occurs twice (the hour
        a daylight-saving change repeats) as the earlier instant; DuckDB and
        PostgreSQL read it as the later one, standard time, and so does this. -#}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        {%- set zone = "'" ~ timezone | replace("'", "\\'") ~ "'" -%}
        {%- set earlier = 'to_utc_timestamp(' ~ column ~ ', ' ~ zone ~ ')' -%}
        case
            {%- for minutes in (60, 30) %}
            when from_utc_timestamp(timestampadd(minute, {{ minutes }}, {{ earlier }}), {{ zone }}) = {{ column }}
                then timestampadd(minute, {{ minutes }}, {{ earlier }})
            {%- endfor %}
            else {{ earlier }}
        end
    {%- endif -%}
{% endmacro %}

{% macro spark__from_utc(column, timezone) %}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        from_utc_timestamp({{ column }}, '{{ timezone | replace("'", "\\'") }}')
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
        {{ dbt.spark__dateadd(datepart, interval, from_date_or_timestamp) }}
    {%- endif -%}
{% endmacro %}
